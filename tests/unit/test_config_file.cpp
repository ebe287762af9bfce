#include <doctest/doctest.h>

#include "peer/config_file.hpp"

using namespace parley::peer;

TEST_CASE("settings file: key = value lines, comments and blank lines") {
  const auto parsed = parse_config_text(
      "# my settings\n"
      "\n"
      "server = chat.example.org:7878\n"
      "  user=alice  \n"
      "   # indented comment\n"
      "download-dir = /home/alice/My Downloads\r\n"
      "password-file = ~/p#1\n"
      "json = true\n"
      "advertise =\n");
  REQUIRE(parsed.error.empty());
  REQUIRE(parsed.entries.size() == 6);
  CHECK(parsed.entries[0].key == "server");
  CHECK(parsed.entries[0].value == "chat.example.org:7878");
  CHECK(parsed.entries[0].line == 3);
  CHECK(parsed.entries[1].key == "user");
  CHECK(parsed.entries[1].value == "alice");
  CHECK(parsed.entries[1].line == 4);
  // Values are verbatim: spaces inside and '#' are kept (paths may have both); CR is not.
  CHECK(parsed.entries[2].value == "/home/alice/My Downloads");
  CHECK(parsed.entries[3].value == "~/p#1");
  CHECK(parsed.entries[4].line == 8);
  CHECK(parsed.entries[5].key == "advertise");
  CHECK(parsed.entries[5].value.empty());
  // Only the first '=' separates.
  CHECK(parse_config_text("user = a=b").entries.at(0).value == "a=b");
}

TEST_CASE("settings file: empty, and without a final newline") {
  CHECK(parse_config_text("").entries.empty());
  CHECK(parse_config_text("").error.empty());
  CHECK(parse_config_text("\n\n# nothing\n").entries.empty());
  const auto last = parse_config_text("user = bob");
  REQUIRE(last.entries.size() == 1);
  CHECK(last.entries[0].line == 1);
}

TEST_CASE("settings file: malformed lines name their line") {
  struct Case {
    std::string text;
    int line;
    std::string error;
  };
  const Case cases[] = {
      {"user = a\njson\n", 2, "expected 'key = value'"},
      {"\n\n = x\n", 3, "a key is missing before '='"},
      {"--user = a\n", 1, "write the key without dashes ('user')"},
      {"-- = a\n", 1, "a key is missing before '='"},
      {"user = a\n# c\nuser = b\n", 3, "'user' is already set on line 1"},
  };
  for (const auto& c : cases) {
    INFO("text: ", c.text);
    const auto parsed = parse_config_text(c.text);
    CHECK(parsed.error_line == c.line);
    CHECK(parsed.error == c.error);
  }
}

TEST_CASE("settings file: booleans") {
  for (auto yes : {"true", "TRUE", "yes", "Yes", "on", "1"}) CHECK(parse_bool(yes) == true);
  for (auto no : {"false", "False", "no", "NO", "off", "0"}) CHECK(parse_bool(no) == false);
  for (auto neither : {"", "2", "y", "truee", "nope"}) CHECK_FALSE(parse_bool(neither).has_value());
}

TEST_CASE("settings file: where it is by default") {
  CHECK(default_config_path("/x/conf", "/home/a") == "/x/conf/parley/config");
  CHECK(default_config_path("", "/home/a") == "/home/a/.config/parley/config");
  CHECK(default_config_path("relative", "/home/a") == "/home/a/.config/parley/config");
  CHECK(default_config_path("", "").empty());
}
