// Session resumption tokens: what lets a peer log in again after a dropped connection or
// a server restart without its password (no scrypt, so a reconnect storm is cheap). Pure
// logic: no disk, no clock, no randomness; the caller passes the time and the random
// secret, and commits the returned changes (op::TokenChanges) before it hands a token
// out. Only a token's SHA-256 is kept: a copy of the database resumes nobody.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/auth/password.hpp"
#include "server/storage/store.hpp"

namespace parley::server {

struct TokenSettings {
  std::int64_t lifetime_ms = 14LL * 24 * 3600 * 1000;
  std::size_t per_user = 8;  // the newest this many per user; an older one is revoked
};

// What a token stays bound to: a digest of the user's credential as it is now (the hash
// string, salt included, or the plaintext password), so that changing the password
// revokes every token issued before. Truncated: it only has to differ, not to be secret.
std::string credential_digest(const Credential& credential);

class ResumeTokens {
 public:
  explicit ResumeTokens(TokenSettings settings = {}) : settings_(settings) {}

  // The tokens saved by the store; returns the removal of those already expired.
  op::TokenChanges restore(std::vector<StoredToken> tokens, std::int64_t now_ms);

  struct Issued {
    std::string token;        // hex, for the LoginResult
    std::string hash;         // raw SHA-256, what the session remembers to revoke it
    op::TokenChanges change;  // commit before the token is sent
  };
  // `secret`: 32 fresh random bytes.
  Issued issue(const std::string& user, const std::string& credential, std::span<const std::uint8_t> secret,
               std::int64_t now_ms);

  enum class Verdict { ok, unknown, expired, other_user, credential_changed };
  struct Check {
    Verdict verdict = Verdict::unknown;
    std::string hash;         // of the presented token
    op::TokenChanges change;  // a dead token found on the way is deleted
    bool ok() const { return verdict == Verdict::ok; }
  };
  // `credential`: the digest of `user`'s credential now, or nullptr if there is no such
  // account. Never throws on garbage: a malformed token is simply unknown.
  Check verify(std::string_view token, std::string_view user, const std::string* credential,
               std::int64_t now_ms);

  op::TokenChanges revoke(const std::string& hash);
  op::TokenChanges revoke_user(const std::string& user);
  op::TokenChanges expire(std::int64_t now_ms);

  std::size_t size() const { return by_hash_.size(); }
  std::size_t count_of(const std::string& user) const;
  static const char* to_string(Verdict verdict);

 private:
  void add(StoredToken token, op::TokenChanges& change);
  void remove(const std::string& hash, op::TokenChanges& change);

  TokenSettings settings_;
  std::unordered_map<std::string, StoredToken> by_hash_;
  std::unordered_map<std::string, std::vector<std::string>> by_user_;  // hashes, oldest first
};

}  // namespace parley::server
