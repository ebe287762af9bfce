// The operator console's commands, parsed from one typed line. Pure, for tests.
//   users                   who is online, since when, from where
//   kick <user> [reason]    tell the user why, then disconnect them
//   say <text>              an announcement every online user sees, from the server
//   shutdown                graceful: tell everyone, flush, exit 0
//   help
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley::server::console {

struct Users {};
struct Kick {
  std::string user;
  std::string reason;
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
