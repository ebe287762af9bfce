// The peer's command parser (peer/commands.cpp): every line a user or a script types.
// Beyond not crashing, what it accepts must be something the server would take: valid
// user names, at most kMaxRecipients of them without repeats, non-blank text within
// kMaxText, a history count in range. Completion and suggestions see the same lines.
#include <algorithm>

#include "fuzz/fuzz_check.hpp"
#include "peer/commands.hpp"
#include "shared/wire/limits.hpp"

using parley::fuzz::check;
namespace wire = parley::wire;

namespace {

void check_command(const parley::peer::Command& command) {
  check(!parley::peer::command_name(command).empty(), "a command has a name");
  std::visit(
      [](const auto& c) {
        if constexpr (requires { c.to; }) {
          check(!c.to.empty() && c.to.size() <= wire::kMaxRecipients, "1 to kMaxRecipients recipients");
          for (const auto& user : c.to) {
            check(wire::is_valid_username(user), "recipients are valid names");
            check(std::count(c.to.begin(), c.to.end(), user) == 1, "each recipient once");
          }
        }
        if constexpr (requires { c.user; })
          check(c.user.empty() || wire::is_valid_username(c.user), "a named user is a valid name");
        if constexpr (requires { c.text; }) {
          check(c.text.find_first_not_of(" \t\r\n\v\f") != std::string::npos, "text is not blank");
          check(c.text.size() <= wire::kMaxText, "text within kMaxText");
        }
        if constexpr (requires { c.count; })
          check(c.count >= 1 && c.count <= parley::peer::cmd::kMaxHistoryLines, "history count in range");
      },
      command);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line = parley::fuzz::as_text(data, size);
  const auto result = parley::peer::parse_command(line);
  if (result.command) {
    check(!result.empty, "a command is not an empty line");
    check_command(*result.command);
  } else if (!result.empty) {
    check(!result.error.message.empty(), "a refusal says why");
  }
  (void)parley::peer::completion_kind(line);
  (void)parley::peer::usage(line);
  const std::string_view first = line.substr(0, std::min(line.find(' '), line.size()));
  if (const auto suggestion = parley::peer::closest_command(first)) {
    const auto& names = parley::peer::command_names();
    check(std::find(names.begin(), names.end(), *suggestion) != names.end(), "a suggestion is a command");
  }
  return 0;
}
