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
