#include "peer/commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "peer/command_table.hpp"
#include "shared/util/parse.hpp"
#include "shared/util/variant_index.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace detail {
namespace {

template <typename T>
inline constexpr std::size_t kKind = variant_index<T, Command>();

// One row per command and alias, in the order help shows them.
constexpr std::array kTable{
    Row{"message", Args::kUsersText, "<user>[,<user>...] <text>", "send a private or group message",
        kKind<cmd::Message>,
        [](Parsed&& p) -> Command {
          return cmd::Message{std::move(p.users), std::move(p.text)};
        }},
    Row{"whisper", Args::kUserText, "<user> <text>", "the same as message, to one user", kKind<cmd::Message>,
        [](Parsed&& p) -> Command {
          return cmd::Message{std::move(p.users), std::move(p.text)};
        }},
    Row{"broadcast", Args::kText, "<text>", "send a message to everyone online", kKind<cmd::Broadcast>,
        [](Parsed&& p) -> Command { return cmd::Broadcast{std::move(p.text)}; }},
    Row{"all", Args::kText, "<text>", "the same as broadcast", kKind<cmd::Broadcast>,
        [](Parsed&& p) -> Command { return cmd::Broadcast{std::move(p.text)}; }},
    Row{"reply", Args::kText, "<text>", "answer the last person who messaged you", kKind<cmd::Reply>,
        [](Parsed&& p) -> Command { return cmd::Reply{std::move(p.text)}; }},
    Row{"me", Args::kText, "<action>", "send an action (me waves) to whoever reply answers", kKind<cmd::Me>,
        [](Parsed&& p) -> Command { return cmd::Me{std::move(p.text)}; }},
    Row{"whoelse", Args::kNone, "", "list the other users online now", kKind<cmd::WhoElse>,
        [](Parsed&&) -> Command { return cmd::WhoElse{}; }},
    Row{"whoelsesince", Args::kSeconds, "<seconds>", "list users online within the last <seconds>",
        kKind<cmd::WhoElseSince>, [](Parsed&& p) -> Command { return cmd::WhoElseSince{p.number}; }},
    Row{"users", Args::kNone, "", "everyone online, you included", kKind<cmd::Users>,
        [](Parsed&&) -> Command { return cmd::Users{}; }},
    Row{"block", Args::kUser, "<user>", "stop receiving messages from <user>", kKind<cmd::Block>,
        [](Parsed&& p) -> Command { return cmd::Block{std::move(p.users.front())}; }},
    Row{"unblock", Args::kUser, "<user>", "receive messages from <user> again", kKind<cmd::Unblock>,
        [](Parsed&& p) -> Command { return cmd::Unblock{std::move(p.users.front())}; }},
    Row{"blocked", Args::kNone, "", "list the users you have blocked", kKind<cmd::Blocked>,
        [](Parsed&&) -> Command { return cmd::Blocked{}; }},
    Row{"startprivate", Args::kUser, "<user>", "open a direct, end-to-end private link with <user>",
        kKind<cmd::StartPrivate>,
        [](Parsed&& p) -> Command { return cmd::StartPrivate{std::move(p.users.front())}; }},
    Row{"private", Args::kUserText, "<user> <text>", "send <text> over the private link with <user>",
        kKind<cmd::Private>,
        [](Parsed&& p) -> Command {
          return cmd::Private{std::move(p.users.front()), std::move(p.text)};
        }},
    Row{"stopprivate", Args::kUser, "<user>", "close the private link with <user>", kKind<cmd::StopPrivate>,
        [](Parsed&& p) -> Command { return cmd::StopPrivate{std::move(p.users.front())}; }},
    Row{"fingerprint", Args::kOptionalUser, "[user]", "certificate fingerprint: yours, or a linked user's",
        kKind<cmd::Fingerprint>,
        [](Parsed&& p) -> Command {
          return cmd::Fingerprint{p.users.empty() ? std::string() : std::move(p.users.front())};
        }},
    Row{"history", Args::kHistory, "[user] [n]", "your last n lines (default 20), or those with <user>",
        kKind<cmd::History>,
        [](Parsed&& p) -> Command {
          cmd::History h{p.users.empty() ? std::string() : std::move(p.users.front())};
          if (p.number > 0) h.count = static_cast<std::uint32_t>(p.number);
          return h;
        }},
    Row{"register", Args::kFileCount, "<file> <number_of_chunks>", "share <file>, cut into that many chunks",
        kKind<cmd::Register>,
        [](Parsed&& p) -> Command {
          return cmd::Register{std::move(p.text), static_cast<std::uint32_t>(p.number)};
        }},
    Row{"searchFile", Args::kFile, "<file>", "who online has chunks of <file>", kKind<cmd::SearchFile>,
        [](Parsed&& p) -> Command { return cmd::SearchFile{std::move(p.text)}; }},
    Row{"searchChunk", Args::kFileNumbers, "<file> <chunk> [<chunk> ...]",
        "who online has these chunks (numbered from 1)", kKind<cmd::SearchChunk>,
        [](Parsed&& p) -> Command {
          return cmd::SearchChunk{std::move(p.text), std::move(p.numbers)};
        }},
    Row{"download", Args::kFileMaybeNumbers, "<file> [<chunk> ...]",
        "fetch <file> (or some chunks) from its holders", kKind<cmd::Download>,
        [](Parsed&& p) -> Command {
          return cmd::Download{std::move(p.text), std::move(p.numbers)};
        }},
    Row{"downloads", Args::kNone, "", "list downloads in progress and finished", kKind<cmd::Downloads>,
        [](Parsed&&) -> Command { return cmd::Downloads{}; }},
    Row{"wait", Args::kNone, "", "wait until running downloads finish or fail", kKind<cmd::Wait>,
        [](Parsed&&) -> Command { return cmd::Wait{}; }},
    Row{"uploads", Args::kNone, "", "list what you are serving to other peers", kKind<cmd::Uploads>,
        [](Parsed&&) -> Command { return cmd::Uploads{}; }},
    Row{"ping", Args::kNone, "", "round-trip time to the server, in milliseconds", kKind<cmd::Ping>,
        [](Parsed&&) -> Command { return cmd::Ping{}; }},
    Row{"reconnect", Args::kNone, "", "retry the server now", kKind<cmd::Reconnect>,
        [](Parsed&&) -> Command { return cmd::Reconnect{}; }},
    Row{"login", Args::kNone, "", "log back in after an idle logout", kKind<cmd::Login>,
        [](Parsed&&) -> Command { return cmd::Login{}; }},
    Row{"logout", Args::kNone, "", "log out and quit", kKind<cmd::Logout>,
        [](Parsed&&) -> Command { return cmd::Logout{}; }},
    Row{"disconnect", Args::kNone, "", "the same as logout", kKind<cmd::Logout>,
        [](Parsed&&) -> Command { return cmd::Logout{}; }},
    Row{"quit", Args::kNone, "", "the same as logout", kKind<cmd::Logout>,
        [](Parsed&&) -> Command { return cmd::Logout{}; }},
    Row{"help", Args::kOptionalTopic, "[command]", "list commands, or explain one", kKind<cmd::Help>,
        [](Parsed&& p) -> Command { return cmd::Help{std::move(p.text)}; }},
};

// fmt, not operator+: g++ 12 at -O3 raises a false -Wrestrict on "literal" + std::string.
std::string quoted(std::string_view s) { return fmt::format("'{}'", s); }

std::string unknown_command_message(std::string_view word) {
  if (auto suggestion = closest_command(word)) {
    return "unknown command " + quoted(word) + " (did you mean " + *suggestion + "?)";
  }
  return "unknown command " + quoted(word) + " (type help for a list)";
}

std::optional<std::string> check_text(std::string_view text) {
  if (trim(text).empty()) return "message text is empty";
  if (text.size() > wire::kMaxText) {
    return "message too long (max " + std::to_string(wire::kMaxText) + " bytes)";
  }
  return std::nullopt;
}

// The server's own rule (shared/wire), so a name it would refuse never leaves the shell
// and comes back as "unknown user".
std::optional<std::string> check_user(std::string_view name) {
  if (!wire::is_valid_username(name)) return "invalid name " + quoted(name);
  return std::nullopt;
}

// A command that names one person, given a comma list.
std::optional<std::string> check_single_user(const Row& row, std::string_view name) {
  if (name.find(',') == std::string_view::npos) return check_user(name);
  if (row.kind == kKind<cmd::Message>)
    return std::string(row.name) + " takes one user; use message for a group";
  return std::string(row.name) + " takes one user";
}

std::optional<std::string> parse_recipients(std::string_view list, std::vector<std::string>& out) {
  for (std::size_t start = 0;;) {
    const auto comma = list.find(',', start);
    const auto name = list.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (name.empty()) {
      return "empty user name in " + quoted(list) + " (separate names with commas, no spaces)";
    }
    if (auto error = check_user(name)) return error;
    // Sending twice to the same person is never what was meant.
    if (std::find(out.begin(), out.end(), name) == out.end()) out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.size() > wire::kMaxRecipients) {
    return "too many recipients (max " + std::to_string(wire::kMaxRecipients) + ")";
  }
  return std::nullopt;
}

// <file> followed by numbers: one count (register) or chunk numbers.
std::optional<std::string> parse_file_numbers(const Row& row, std::string_view rest, Parsed& out,
                                              const std::string& usage_error) {
  auto [file, numbers] = split_word(rest);
  if (file.empty() || (numbers.empty() && row.args != Args::kFileMaybeNumbers)) return usage_error;
  out.text = file;
  while (!numbers.empty()) {
    const auto [word, next] = split_word(numbers);
    numbers = next;
    const auto value = parse_decimal<std::uint32_t>(word);
    if (!value) return std::string(row.name) + ": " + quoted(word) + " is not a whole number";
    if (row.args == Args::kFileCount) {
      if (!numbers.empty()) return usage_error;
      out.number = *value;
      return std::nullopt;
    }
    if (std::find(out.numbers.begin(), out.numbers.end(), *value) == out.numbers.end())
      out.numbers.push_back(*value);
  }
  return std::nullopt;
}

std::optional<std::string> parse_one_word(const Row& row, std::string_view rest, Parsed& out,
                                          const std::string& usage_error) {
  const auto [word, extra] = split_word(rest);
  if (!extra.empty()) return usage_error;
  if (word.empty()) {
    if (row.args == Args::kOptionalUser || row.args == Args::kOptionalTopic) return std::nullopt;
    return usage_error;
  }
  switch (row.args) {
    case Args::kFile:
      out.text = word;
      return std::nullopt;
    case Args::kSeconds: {
      const auto seconds = parse_decimal<std::int64_t>(word);
      if (!seconds) return std::string(row.name) + ": " + quoted(word) + " is not a number of seconds";
      out.number = *seconds;
      return std::nullopt;
    }
    case Args::kOptionalTopic: {
      const auto topic = strip_slash(word);
      const Row* topic_row = find_row(topic);
      if (topic_row == nullptr) return std::string(row.name) + ": " + unknown_command_message(topic);
      out.text = topic_row->name;
      return std::nullopt;
    }
    default:  // kUser, kOptionalUser
      if (auto error = check_single_user(row, word)) return error;
      out.users.emplace_back(word);
      return std::nullopt;
  }
}

// "[user] [n]": a number is a count, a word a user, each at most once.
std::optional<std::string> parse_history(const Row& row, std::string_view rest, Parsed& out,
                                         const std::string& usage_error) {
  while (!rest.empty()) {
    const auto [word, next] = split_word(rest);
    rest = next;
    if (const auto count = parse_decimal<std::uint32_t>(word)) {
      if (out.number != 0 || *count == 0 || *count > cmd::kMaxHistoryLines) return usage_error;
      out.number = *count;
    } else {
      if (!out.users.empty()) return usage_error;
      if (auto error = check_single_user(row, word)) return error;
      out.users.emplace_back(word);
    }
  }
  return std::nullopt;
}

// Fills `out` from the text after the command word (already trimmed at both ends), or
// returns the error to show.
std::optional<std::string> parse_args(const Row& row, std::string_view rest, Parsed& out) {
  const std::string usage_error = "usage: " + syntax_of(row);
  switch (row.args) {
    case Args::kNone:
      if (!rest.empty()) return usage_error;
      return std::nullopt;

    case Args::kText:
      if (rest.empty()) return usage_error;
      if (auto error = check_text(rest)) return error;
      out.text = rest;
      return std::nullopt;

    case Args::kUsersText: {
      if (rest.empty()) return usage_error;
      const auto [list, text] = split_word(rest);
      if (auto error = parse_recipients(list, out.users)) return error;
      if (auto error = check_text(text)) return error;
      out.text = text;
      return std::nullopt;
    }

    case Args::kUserText: {
      const auto [user, text] = split_word(rest);
      if (user.empty() || text.empty()) return usage_error;
      if (auto error = check_single_user(row, user)) return error;
      if (auto error = check_text(text)) return error;
      out.users.emplace_back(user);
      out.text = text;
      return std::nullopt;
    }

    case Args::kFileCount:
    case Args::kFileNumbers:
    case Args::kFileMaybeNumbers:
      return parse_file_numbers(row, rest, out, usage_error);

    case Args::kFile:
    case Args::kUser:
    case Args::kOptionalUser:
    case Args::kSeconds:
    case Args::kOptionalTopic:
      return parse_one_word(row, rest, out, usage_error);

    case Args::kHistory:
      return parse_history(row, rest, out, usage_error);
  }
  return usage_error;
}

}  // namespace

std::span<const Row> command_table() { return kTable; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

const Row* find_row(std::string_view name) {
  for (const Row& row : kTable) {
    if (equal_ci(row.name, name)) return &row;
  }
  return nullptr;
}

const Row& canonical_row(std::size_t kind) {
  for (const Row& row : kTable) {
    if (row.kind == kind) return row;
  }
  // Every alternative has a row; a missing one is a programming error caught by tests.
  return kTable.front();
}

std::string syntax_of(const Row& row) {
  std::string s(row.name);
  if (!row.syntax.empty()) s.append(" ").append(row.syntax);
  return s;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::pair<std::string_view, std::string_view> split_word(std::string_view s) {
  const auto end = std::min(s.find_first_of(kSpace), s.size());
  const auto next = std::min(s.find_first_not_of(kSpace, end), s.size());
  return {s.substr(0, end), s.substr(next)};
}

std::string_view strip_slash(std::string_view word) {
  if (!word.empty() && word.front() == '/') word.remove_prefix(1);
  return word;
}

}  // namespace detail

ParseResult parse_command(std::string_view line) {
  using namespace detail;
  ParseResult result;
  line = trim(line);
  if (line.empty()) {
    result.empty = true;
    return result;
  }
  const auto [typed, rest] = split_word(line);
  const auto word = strip_slash(typed);
  if (word.empty()) {
    result.error = {"", "missing command after '/' (type help for a list)"};
    return result;
  }
  const Row* row = find_row(word);
  if (row == nullptr) {
    result.error = {std::string(word), unknown_command_message(word)};
    return result;
  }
  Parsed parsed;
  if (auto error = parse_args(*row, rest, parsed)) {
    result.error = {std::string(canonical_row(row->kind).name), std::move(*error)};
    return result;
  }
  result.command = row->build(std::move(parsed));
  return result;
}

std::string_view command_name(const Command& command) { return detail::canonical_row(command.index()).name; }

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const detail::Row& row : detail::kTable) v.emplace_back(row.name);
    return v;
  }();
  return names;
}

}  // namespace parley::peer
