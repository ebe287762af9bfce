#include "peer/web/web_commands.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>

namespace parley::peer::web {
namespace {

// How one JSON field becomes words of the line.
enum class Field {
  kWord,     // a name: one word
  kUsers,    // "bob" or ["bob", "carol"]: a comma list
  kText,     // the rest of the line
  kNumber,   // a non-negative integer
  kNumbers,  // [1, 2, 3]
};

struct Arg {
  std::string_view key;
  Field field;
  bool required;
};

struct Shape {
  std::string_view name;
  std::array<Arg, 2> args;
  std::size_t count;
};

// Every command the page may send, with its fields in the order the shell reads them.
constexpr std::array kShapes{
    Shape{"message", {{{"to", Field::kUsers, true}, {"text", Field::kText, true}}}, 2},
    Shape{"broadcast", {{{"text", Field::kText, true}}}, 1},
    Shape{"whoelse", {}, 0},
    Shape{"whoelsesince", {{{"seconds", Field::kNumber, true}}}, 1},
    Shape{"users", {}, 0},
    Shape{"block", {{{"user", Field::kWord, true}}}, 1},
    Shape{"unblock", {{{"user", Field::kWord, true}}}, 1},
    Shape{"blocked", {}, 0},
    Shape{"startprivate", {{{"user", Field::kWord, true}}}, 1},
    Shape{"private", {{{"user", Field::kWord, true}, {"text", Field::kText, true}}}, 2},
    Shape{"stopprivate", {{{"user", Field::kWord, true}}}, 1},
    Shape{"reply", {{{"text", Field::kText, true}}}, 1},
    Shape{"me", {{{"text", Field::kText, true}}}, 1},
    Shape{"register", {{{"file", Field::kWord, true}, {"chunks", Field::kNumber, true}}}, 2},
    Shape{"searchFile", {{{"file", Field::kWord, true}}}, 1},
    Shape{"searchChunk", {{{"file", Field::kWord, true}, {"chunks", Field::kNumbers, true}}}, 2},
    Shape{"download", {{{"file", Field::kWord, true}, {"chunks", Field::kNumbers, false}}}, 2},
    Shape{"downloads", {}, 0},
    Shape{"uploads", {}, 0},
    Shape{"ping", {}, 0},
    Shape{"reconnect", {}, 0},
    Shape{"login", {}, 0},
    Shape{"logout", {}, 0},
    Shape{"fingerprint", {{{"user", Field::kWord, false}}}, 1},
    Shape{"history", {{{"user", Field::kWord, false}, {"count", Field::kNumber, false}}}, 2},
    Shape{"help", {{{"topic", Field::kWord, false}}}, 1},
};

bool equal_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool whole_number(const nlohmann::json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

bool one_word(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (std::isspace(c) || c < 0x20) return false;
  return true;
}

// The words of one field, or an error.
std::string words_of(const Arg& arg, const nlohmann::json& value, std::string& line) {
  const auto bad = [&](std::string_view what) { return fmt::format("'{}' must be {}", arg.key, what); };
  switch (arg.field) {
    case Field::kWord:
      if (!value.is_string() || !one_word(value.get<std::string>())) return bad("one word");
      line += " " + value.get<std::string>();
      return {};
    case Field::kUsers: {
      const auto list = value.is_string() ? nlohmann::json::array({value}) : value;
      if (!list.is_array() || list.empty()) return bad("a user name or a list of them");
      std::string joined;
      for (const auto& user : list) {
        if (!user.is_string() || !one_word(user.get<std::string>()) ||
            user.get<std::string>().find(',') != std::string::npos)
          return bad("a user name or a list of them");
        joined += (joined.empty() ? "" : ",") + user.get<std::string>();
      }
      line += " " + joined;
      return {};
    }
    case Field::kText: {
      if (!value.is_string()) return bad("a string");
      const auto text = value.get<std::string>();
      if (text.find_first_of("\r\n") != std::string::npos) return bad("one line");
      line += " " + text;
      return {};
    }
    case Field::kNumber:
      if (!whole_number(value)) return bad("a whole number");
      line += " " + std::to_string(value.get<std::uint64_t>());
      return {};
    case Field::kNumbers:
      if (!value.is_array()) return bad("a list of whole numbers");
      for (const auto& n : value) {
        if (!whole_number(n)) return bad("a list of whole numbers");
        line += " " + std::to_string(n.get<std::uint64_t>());
      }
      return {};
  }
  return {};
}

}  // namespace

WebCommand command_from_json(std::string_view name, const nlohmann::json& body) {
  WebCommand out;
  const Shape* shape = nullptr;
  for (const auto& s : kShapes)
    if (equal_ci(s.name, name)) shape = &s;
  if (shape == nullptr) {
    out.unknown = true;
    out.name = name;
    out.error = fmt::format("unknown command '{}'", name);
    return out;
  }
  out.name = shape->name;
  if (!body.is_object()) {
    out.error = "the body must be a JSON object";
    return out;
  }
  std::string line(shape->name);
  for (std::size_t i = 0; i < shape->count; ++i) {
    const Arg& arg = shape->args[i];
    const auto it = body.find(arg.key);
    if (it == body.end() || it->is_null()) {
      if (!arg.required) continue;
      out.error = fmt::format("'{}' is missing", arg.key);
      return out;
    }
    if (auto error = words_of(arg, *it, line); !error.empty()) {
      out.error = std::move(error);
      return out;
    }
  }
  auto parsed = parse_command(line);
  if (parsed.command)
    out.command = std::move(*parsed.command);
  else
    out.error = parsed.error.message;
  return out;
}

}  // namespace parley::peer::web
