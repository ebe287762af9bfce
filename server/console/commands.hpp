// The operator console's commands, parsed from one typed line. Pure, for tests.
//   users                   who is online, since when, from where
//   kick <user> [minutes] [reason]  tell the user why, disconnect them, and keep them
//                                   out for that many minutes
//   say <text>              an announcement every online user sees, from the server
//   shutdown                graceful: tell everyone, flush, exit 0
//   help
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley::server::console {

struct Users {};
struct Kick {
  std::string user;
  std::string reason;
  std::int64_t minutes = 0;  // 0: no ban, they may log in again at once
};
struct Say {
  std::string text;
};
struct Shutdown {};
struct Help {};
struct Invalid {
  std::string message;  // what to print
};
struct Empty {};
using Command = std::variant<Users, Kick, Say, Shutdown, Help, Invalid, Empty>;

Command parse(std::string_view line);
std::string help_text();
// What Tab completes a line's first word to.
std::vector<std::string> command_names();

}  // namespace parley::server::console
