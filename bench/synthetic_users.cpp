#include "bench/synthetic_users.hpp"

#include <fmt/format.h>

#include "shared/wire/limits.hpp"

namespace parley::bench {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string user_name(std::string_view prefix, std::size_t number) {
  return fmt::format("{}{:05}", prefix, number);
}

// Deterministic, distinct per user, and never mistaken for a "$scrypt$..." hash.
std::string password_of(std::string_view user) { return fmt::format("pw-{}", user); }

std::string prefix_problem(std::string_view prefix, std::size_t count) {
  if (prefix.empty()) return "the prefix must not be empty";
  for (char c : prefix)
    if (!is_alnum(c)) return fmt::format("prefix '{}' may only hold letters and digits", prefix);
  const std::string longest = user_name(prefix, count);
  if (!wire::is_valid_username(longest))
    return fmt::format("prefix '{}' is too long: '{}' exceeds {} characters", prefix, longest,
                       wire::kMaxUsername);
  return {};
}

std::string credentials_text(std::string_view prefix, std::size_t count) {
  std::string out;
  for (std::size_t n = 1; n <= count; ++n) {
    const std::string user = user_name(prefix, n);
    out += fmt::format("{} {}\n", user, password_of(user));
  }
  return out;
}

}  // namespace parley::bench
