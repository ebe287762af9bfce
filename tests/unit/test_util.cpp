#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "shared/util/log.hpp"
#include "shared/util/parse.hpp"
#include "shared/util/posix.hpp"
#include "shared/util/variant_index.hpp"

using namespace parley;

TEST_CASE("parse_decimal: the whole word, digits only, within range") {
  CHECK(parse_decimal<int>("0") == 0);
  CHECK(parse_decimal<int>("0042") == 42);
  CHECK(parse_decimal<std::uint64_t>("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parse_decimal<std::uint64_t>("18446744073709551616"));  // one too many
  CHECK_FALSE(parse_decimal<std::uint8_t>("256"));
  CHECK_FALSE(parse_decimal<int>(""));
  CHECK_FALSE(parse_decimal<int>("-1"));  // no sign, even for a signed type
  CHECK_FALSE(parse_decimal<int>("+1"));
  CHECK_FALSE(parse_decimal<int>(" 1"));
  CHECK_FALSE(parse_decimal<int>("1 "));
  CHECK_FALSE(parse_decimal<int>("12abc"));
  CHECK_FALSE(parse_decimal<int>("1e3"));
  CHECK_FALSE(parse_decimal<int>("0x10"));
}

TEST_CASE("variant_index: where a type sits in a variant, at compile time") {
  using V = std::variant<int, double, char>;
  static_assert(variant_index<int, V>() == 0);
  static_assert(variant_index<char, V>() == 2);
  CHECK(variant_index<double, V>() == V(1.5).index());
}

TEST_CASE("EchoOff does nothing on a descriptor that is not a terminal") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  { EchoOff quiet(fds[0]); }  // no terminal: neither throws nor touches anything
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("raise_fd_limit returns the limit now in force") { CHECK(raise_fd_limit() >= 64); }

TEST_CASE("route_logs: while a writer is set, it gets every log line whole, in order") {
  auto logger = spdlog::default_logger();
  const auto saved = logger->level();
  logger->set_level(spdlog::level::info);
  std::vector<std::string> lines;
  route_logs([&](std::string_view line) { lines.emplace_back(line); });
  spdlog::info("first {}", 1);
  spdlog::warn("second");
  route_logs({});
  logger->set_level(saved);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("info") != std::string::npos);
  CHECK(lines[0].ends_with("first 1\n"));
  CHECK(lines[1].find("warn") != std::string::npos);
  CHECK(lines[1].ends_with("second\n"));
}

TEST_CASE("escape_for_log: printable ASCII stays, every other byte becomes an escape") {
  CHECK(escape_for_log("alice said 'hi' (#1)") == "alice said 'hi' (#1)");
  CHECK(escape_for_log("a\nb\rc\td") == "a\\nb\\rc\\td");
  CHECK(escape_for_log("back\\slash") == "back\\\\slash");  // so "\n" typed as text stays distinct
  CHECK(escape_for_log(std::string("nul\0esc\x1b[31mdel\x7f", 16)) == "nul\\x00esc\\x1b[31mdel\\x7f");
  CHECK(escape_for_log("caf\xc3\xa9") == "caf\\xc3\\xa9");
  CHECK(escape_for_log("") == "");
}

TEST_CASE("logs: a newline in a user name cannot forge a log line") {
  auto logger = spdlog::default_logger();
  const auto saved = logger->level();
  logger->set_level(spdlog::level::info);
  std::vector<std::string> lines;
  route_logs([&](std::string_view line) { lines.emplace_back(line); });
  const std::string name = "mallory\n2030-01-01T00:00:00.000 info parley-server: operator kicked alice";
  spdlog::info("login refused for '{}': {}", name, "unknown user\r\x1b[2K");
  route_logs({});
  logger->set_level(saved);
  REQUIRE(lines.size() == 1);
  const std::string& line = lines.front();
  CHECK(line.find('\n') == line.size() - 1);  // only the line's own end
  CHECK(line.find('\r') == std::string::npos);
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line.ends_with(
      "login refused for 'mallory\\n2030-01-01T00:00:00.000 info parley-server: operator kicked alice': "
      "unknown user\\r\\x1b[2K\n"));
}
