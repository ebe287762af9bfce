// Password verification for accounts from the credentials file.
//
// Stored secrets are either the plaintext of the original assignment's format or a
// self-describing hash produced by `parley-server hash-password`:
//   $scrypt$ln=17,r=8,p=1$<salt base64>$<hash base64>
//   $pbkdf2-sha256$i=600000$<salt base64>$<hash base64>
// Hashing and verifying are deliberately slow (0.2-0.6 s of CPU): call them on a
// worker thread, never on the network event loop.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::server {

enum class HashAlgorithm { scrypt, pbkdf2_sha256 };

struct Credential {
  enum class Kind { plaintext, hashed };
  Kind kind = Kind::plaintext;
  std::string secret;  // the plaintext password, or the full "$algo$params$salt$hash" string
};

// Returns the self-describing hash string of `password` with a fresh 16-byte random salt.
std::string hash_password(std::string_view password, HashAlgorithm algorithm = HashAlgorithm::scrypt);

// Constant-time check of `password` against `stored`. A malformed hash string never matches.
bool verify_password(const Credential& stored, std::string_view password);

// Classifies a secret read from the credentials file: a string that parses as one of the
// hash formats above is a hash, anything else is a plaintext password.
// Returns nullopt (with `error` set) for a string that starts like a hash but is malformed.
std::optional<Credential> classify_secret(std::string_view secret, std::string* error = nullptr);

}  // namespace parley::server
