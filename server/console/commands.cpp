#include "server/console/commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "shared/wire/limits.hpp"

namespace parley::server::console {
namespace {

constexpr std::string_view kSpace = " \t\r\n";

std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::pair<std::string_view, std::string_view> split(std::string_view s) {
  auto end = std::min(s.find_first_of(kSpace), s.size());
  return {s.substr(0, end), trim(s.substr(end))};
}

constexpr std::int64_t kMaxBanMinutes = 366 * 24 * 60;

// kick <user> [minutes] [reason]: a second word of digits only is the ban's length.
Command parse_kick(std::string_view rest) {
  auto [user, more] = split(rest);
  if (user.empty()) return Invalid{"usage: kick <user> [minutes] [reason]"};
  auto [first, after] = split(more);
  std::int64_t minutes = 0;
  std::string_view reason = more;
  if (!first.empty() && first.find_first_not_of("0123456789") == std::string_view::npos) {
    if (first.size() > 6 || std::stoll(std::string(first)) > kMaxBanMinutes)
      return Invalid{fmt::format("a ban lasts at most {} minutes", kMaxBanMinutes)};
    minutes = std::stoll(std::string(first));
    reason = after;
  }
  if (reason.size() > 200) return Invalid{"reason too long (max 200 bytes)"};
  return Kick{std::string(user), std::string(reason), minutes};
}

}  // namespace

Command parse(std::string_view line) {
  auto [word, rest] = split(trim(line));
  if (word.empty()) return Empty{};
  if (!word.empty() && word.front() == '/') word.remove_prefix(1);
  if (word == "users") return rest.empty() ? Command{Users{}} : Command{Invalid{"usage: users"}};
  if (word == "help") return Help{};
  if (word == "shutdown") return rest.empty() ? Command{Shutdown{}} : Command{Invalid{"usage: shutdown"}};
  if (word == "say") {
    if (rest.empty()) return Invalid{"usage: say <text>"};
    if (rest.size() > wire::kMaxText)
      return Invalid{fmt::format("text too long (max {} bytes)", wire::kMaxText)};
    return Say{std::string(rest)};
  }
  if (word == "kick") return parse_kick(rest);
  return Invalid{fmt::format("unknown command '{}' (type help)", word)};
}

std::string help_text() {
  return "users                   who is online, since when, from where\n"
         "kick <user> [minutes] [reason]  tell them why, disconnect them; keep them out that long\n"
         "say <text>              an announcement every online user sees\n"
         "shutdown                tell everyone, flush, exit\n"
         "help                    this list";
}

std::vector<std::string> command_names() { return {"help", "kick", "say", "shutdown", "users"}; }

}  // namespace parley::server::console
