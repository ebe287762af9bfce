// Help text, typo suggestions and completion context for the command table.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "peer/command_table.hpp"
#include "peer/commands.hpp"

namespace parley::peer {
namespace {

using detail::Args;
using detail::command_table;
using detail::lower;
using detail::Row;

// Help never wraps in an 80-column terminal; one column is left free because a line
// that fills the last one leaves some terminals' cursor in limbo.
constexpr std::size_t kWidth = 79;
constexpr std::size_t kIndent = 2;   // before each command in the list
constexpr std::size_t kColumn = 28;  // where descriptions start
constexpr std::string_view kDash = "  — ";

// Columns a string takes in a terminal: its UTF-8 code points (ours are all one wide).
std::size_t columns(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The words of `text` in lines of at most `width` columns (a longer word gets its own line).
std::vector<std::string> wrap(std::string_view text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  for (auto rest = detail::trim(text); !rest.empty();) {
    const auto [word, next] = detail::split_word(rest);
    rest = next;
    if (!line.empty() && columns(line) + 1 + columns(word) > width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

void append_line(std::string& text, std::string_view line) {
  if (!text.empty()) text += '\n';
  text += line;
}

// "  syntax      description", the description wrapped at kColumn; a syntax too long
// for its column gets a line of its own.
void append_row(std::string& text, const Row& row) {
  std::string line = std::string(kIndent, ' ') + detail::syntax_of(row);
  if (columns(line) + 2 > kColumn) {
    append_line(text, line);
    line.clear();
  }
  for (const auto& part : wrap(row.description, kWidth - kColumn)) {
    line.resize(kColumn + line.size() - columns(line), ' ');
    append_line(text, line + part);
    line.clear();
  }
}

// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a
// substring), case-insensitive: a swapped pair of letters is one typo, not two.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::size_t> d((n + 1) * (m + 1));
  auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1])) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(n, m);
}

bool is_prefix_ci(std::string_view prefix, std::string_view s) {
  return prefix.size() <= s.size() && detail::equal_ci(prefix, s.substr(0, prefix.size()));
}

// What the first argument of a command is, for completion.
CompletionKind first_argument_kind(Args args) {
  switch (args) {
    case Args::kUsersText:
    case Args::kUserText:
    case Args::kUser:
    case Args::kOptionalUser:
    case Args::kHistory:
      return CompletionKind::kUser;
    case Args::kFile:
    case Args::kFileCount:
    case Args::kFileNumbers:
    case Args::kFileMaybeNumbers:
      return CompletionKind::kFile;
    case Args::kOptionalTopic:
      return CompletionKind::kCommand;
    case Args::kNone:
    case Args::kText:
    case Args::kSeconds:
      return CompletionKind::kNone;
  }
  return CompletionKind::kNone;
}

}  // namespace

std::string usage(std::string_view name) {
  const Row* row = detail::find_row(detail::strip_slash(detail::trim(name)));
  if (row == nullptr) return {};
  const std::string syntax = detail::syntax_of(*row);
  std::string one_line = syntax + std::string(kDash) + std::string(row->description);
  if (columns(one_line) <= kWidth) return one_line;
  std::string text = syntax;
  for (const auto& part : wrap(row->description, kWidth - 4)) append_line(text, "    " + part);
  return text;
}

std::string help_text() {
  std::string text = "Commands (the leading / is optional, and so is the case of a name):";
  for (const Row& row : command_table()) append_row(text, row);
  for (const auto& line : wrap("Keys: Tab completes commands, names and files; Up/Down walk the history, "
                               "Ctrl-R searches it; Ctrl-D logs out. help <command> explains a command.",
                               kWidth))
    append_line(text, line);
  return text;
}

std::optional<std::string> closest_command(std::string_view word) {
  word = detail::strip_slash(detail::trim(word));
  if (word.empty()) return std::nullopt;

  // A unique prefix is the strongest hint: "whoelses" is whoelsesince being typed, even
  // though it is one letter from whoelse. It also catches abbreviations too far by
  // edit distance ("unbl"). An exact name is its own answer ("WHOELSE").
  if (const Row* exact = detail::find_row(word)) return std::string(exact->name);
  const Row* prefix_match = nullptr;
  bool ambiguous = false;
  for (const Row& row : command_table()) {
    if (!is_prefix_ci(word, row.name)) continue;
    ambiguous = prefix_match != nullptr;
    if (ambiguous) break;
    prefix_match = &row;
  }
  if (prefix_match != nullptr && !ambiguous) return std::string(prefix_match->name);

  const std::size_t max_distance = std::max<std::size_t>(1, word.size() / 3);
  const Row* best = nullptr;
  std::size_t best_distance = max_distance + 1;
  for (const Row& row : command_table()) {
    // The distance is at least the difference in length: a long word (a pasted line)
    // skips the quadratic table instead of filling one per command.
    const std::size_t gap = std::max(word.size(), row.name.size()) - std::min(word.size(), row.name.size());
    if (gap >= best_distance) continue;
    const std::size_t distance = edit_distance(word, row.name);
    if (distance < best_distance) {
      best = &row;
      best_distance = distance;
    }
  }
  if (best != nullptr) return std::string(best->name);
  return std::nullopt;
}

CompletionKind completion_kind(std::string_view line_before_cursor) {
  const auto start = line_before_cursor.find_first_not_of(detail::kSpace);
  if (start == std::string_view::npos) return CompletionKind::kCommand;
  const auto [command, rest] = detail::split_word(line_before_cursor.substr(start));
  // Still in the first word: no space after it yet.
  if (command.size() == line_before_cursor.size() - start) return CompletionKind::kCommand;
  const Row* row = detail::find_row(detail::strip_slash(command));
  if (row == nullptr) return CompletionKind::kNone;
  // Only the first argument completes: what follows is text or numbers. A space ends
  // it; commas do not, so every name of message's list completes.
  if (rest.find_first_of(detail::kSpace) != std::string_view::npos) return CompletionKind::kNone;
  return first_argument_kind(row->args);
}

}  // namespace parley::peer
