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
  if (word == "kick") {
    auto [user, reason] = split(rest);
    if (user.empty()) return Invalid{"usage: kick <user> [reason]"};
    if (reason.size() > 200) return Invalid{"reason too long (max 200 bytes)"};
    return Kick{std::string(user), std::string(reason)};
  }
  return Invalid{fmt::format("unknown command '{}' (type help)", word)};
}

std::string help_text() {
  return "users                   who is online, since when, from where\n"
         "kick <user> [reason]    tell the user why, then disconnect them\n"
         "say <text>              an announcement every online user sees\n"
         "shutdown                tell everyone, flush, exit\n"
         "help                    this list";
}

std::vector<std::string> command_names() { return {"help", "kick", "say", "shutdown", "users"}; }

}  // namespace parley::server::console
