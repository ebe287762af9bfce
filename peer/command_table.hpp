// The command table behind peer/commands.hpp, shared by parsing (commands.cpp) and by
// help, suggestions and completion (command_help.cpp). Nothing outside those two files
// should include it: the public interface is commands.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "peer/commands.hpp"

namespace parley::peer::detail {

// What may follow a command word. A new command usually reuses one of these; a command
// with a new argument shape adds a value here, a case in parse_args() and one in
// completion_kind().
enum class Args {
  kNone,              // nothing
  kText,              // <text>: the rest of the line, verbatim
  kUsersText,         // <user>[,<user>...] <text>
  kUserText,          // <user> <text>
  kFile,              // <file>
  kFileCount,         // <file> <count>: a positive integer
  kFileNumbers,       // <file> <n> [<n> ...]: positive integers
  kFileMaybeNumbers,  // <file> [<n> ...]
  kUser,              // <user>
  kOptionalUser,      // [user]
  kSeconds,           // <seconds>: non-negative integer
  kOptionalTopic,     // [command]
  kHistory,           // [user] [n]: either, both, or none
};

// Arguments after parsing, before they become a Command; each Args fills some fields.
struct Parsed {
  std::vector<std::string> users;
  std::string text;
  std::int64_t number = 0;
  std::vector<std::uint32_t> numbers;
};

struct Row {
  std::string_view name;  // canonical spelling; typed names match it in any case
  Args args;
  std::string_view syntax;  // what follows the name in usage text
  std::string_view description;
  // Which Command alternative the row builds; the first row of a kind supplies the
  // canonical name, so an alias row (e.g. "all" for broadcast) goes after its command.
  std::size_t kind;
  Command (*build)(Parsed&&);
};

// Rows in the order help shows them.
std::span<const Row> command_table();
// The row named `name` (no leading '/'), whatever its case; nullptr if none.
const Row* find_row(std::string_view name);
const Row& canonical_row(std::size_t kind);
std::string syntax_of(const Row& row);  // "message <user>[,<user>...] <text>"

inline constexpr std::string_view kSpace = " \t\r\n\v\f";
std::string_view trim(std::string_view s);
// Splits off the first whitespace-delimited word; `rest` starts at the next word.
std::pair<std::string_view, std::string_view> split_word(std::string_view s);
std::string_view strip_slash(std::string_view word);
bool equal_ci(std::string_view a, std::string_view b);
char lower(char c);

}  // namespace parley::peer::detail
