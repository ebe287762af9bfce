// The server's accounts file (server/auth/credentials_file.cpp) and the hash strings in
// it. An operator's typo must never crash the server or lock everyone out: each bad line
// is skipped with a problem naming it, and every account kept has a valid name. Only
// plaintext secrets are checked against a password here: a hash costs a real scrypt or
// PBKDF2 run per check, far too slow for a fuzzer.
#include "fuzz/fuzz_check.hpp"
#include "server/auth/credentials_file.hpp"
#include "shared/wire/limits.hpp"

using parley::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = parley::fuzz::as_text(data, size);
  const auto file = parley::server::parse_credentials(text, "fuzz.txt");
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  check(file.accounts.size() + file.problems.size() <= lines, "at most one account or problem per line");
  for (const auto& problem : file.problems)
    check(problem.starts_with("fuzz.txt:"), "a problem names its line");
  for (const auto& [name, credential] : file.accounts) {
    check(parley::wire::is_valid_username(name), "account names are valid");
    check(credential.secret.size() <= parley::wire::kMaxPassword, "secrets within kMaxPassword");
    if (credential.kind == parley::server::Credential::Kind::plaintext) {
      check(parley::server::verify_password(credential, credential.secret),
            "a plaintext password matches itself");
      check(!parley::server::verify_password(credential, credential.secret + "x"), "and nothing longer");
    }
  }
  // The whole input as one secret: the hash parser on its own, without the line splitting.
  std::string error;
  const auto secret = parley::server::classify_secret(text, &error);
  check(secret.has_value() || !error.empty(), "a malformed hash says why");
  return 0;
}
