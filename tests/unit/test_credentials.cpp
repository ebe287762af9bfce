#include <doctest/doctest.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/auth/credentials_file.hpp"
#include "tests/support/temp_dir.hpp"

using parley::server::Credential;
using parley::server::load_credentials;
using parley::server::parse_credentials;

namespace {

const std::string kValidHash =
    "$pbkdf2-sha256$i=1000$cGFybGV5LXNhbHQtMDAwMQ==$XT+h0RSKhfS22+rVnuWNrlXJhvIKCgQImgX+PkXcQ4o=";

}  // namespace

TEST_CASE("credentials: plain lines, comments, blank lines, whitespace") {
  const auto file = parse_credentials(
      "# accounts\n"
      "alice hunter2\n"
      "\n"
      "   \t\n"
      "  # indented comment\n"
      "  bob\t\tpa$$word  \n"
      "carol " +
          kValidHash + "\n",
      "credentials.txt");
  CHECK(file.problems.empty());
  REQUIRE(file.accounts.size() == 3);
  CHECK(file.accounts.at("alice").kind == Credential::Kind::plaintext);
  CHECK(file.accounts.at("alice").secret == "hunter2");
  CHECK(file.accounts.at("bob").secret == "pa$$word");
  CHECK(file.accounts.at("carol").kind == Credential::Kind::hashed);
  CHECK(file.accounts.at("carol").secret == kValidHash);
}

TEST_CASE("credentials: CRLF, missing final newline, byte-order mark") {
  const auto file = parse_credentials(
      "\xEF\xBB\xBF"
      "alice hunter2\r\nbob secret\r\n\r\ncarol last",
      "c.txt");
  CHECK(file.problems.empty());
  REQUIRE(file.accounts.size() == 3);
  CHECK(file.accounts.at("alice").secret == "hunter2");
  CHECK(file.accounts.at("bob").secret == "secret");
  CHECK(file.accounts.at("carol").secret == "last");
}

TEST_CASE("credentials: bad lines are reported with their number and skipped") {
  const std::string long_password(257, 'x');
  const std::string max_password(256, 'y');
  const std::vector<std::string> lines = {
      "alice hunter2",                           // 1
      "justaname",                               // 2
      "bob two words",                           // 3
      "b@d pass",                                // 4
      "alice other",                             // 5
      "dave $scrypt$ln=60,r=8,p=1$x$y",          // 6
      "erin " + long_password,                   // 7
      "frank " + max_password,                   // 8
      "abcdefghijklmnopqrstuvwxyz0123456 pass",  // 9: 33 characters
  };
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  const auto file = parse_credentials(text, "credentials.txt");
  REQUIRE(file.problems.size() == 7);
  CHECK(file.problems[0] == "credentials.txt:2: expected 'username password'");
  CHECK(file.problems[1] == "credentials.txt:3: expected 'username password'");
  CHECK(file.problems[2].starts_with("credentials.txt:4: invalid username"));
  CHECK(file.problems[3].starts_with("credentials.txt:5: duplicate username 'alice'"));
  CHECK(file.problems[4].starts_with("credentials.txt:6: "));
  CHECK(file.problems[4].find("scrypt") != std::string::npos);
  CHECK(file.problems[5].starts_with("credentials.txt:7: password longer than 256"));
  CHECK(file.problems[6].starts_with("credentials.txt:9: invalid username"));

  REQUIRE(file.accounts.size() == 2);
  CHECK(file.accounts.at("alice").secret == "hunter2");  // the first definition wins
  CHECK(file.accounts.at("frank").secret == max_password);
  // A rejected line never leaks its secret into the report.
  for (const auto& p : file.problems) {
    CAPTURE(p);
    CHECK(p.find("other") == std::string::npos);
    CHECK(p.find("words") == std::string::npos);
    CHECK(p.find(long_password) == std::string::npos);
  }
}

TEST_CASE("credentials: empty input") {
  const auto file = parse_credentials("", "empty.txt");
  CHECK(file.accounts.empty());
  CHECK(file.problems.empty());
}

TEST_CASE("credentials: load from disk") {
  parley::test::TempDir dir;
  const auto path = dir / "credentials.txt";
  parley::test::write_text(path, "alice hunter2\nnope\n");
  const auto file = load_credentials(path);
  CHECK(file.accounts.size() == 1);
  REQUIRE(file.problems.size() == 1);
  CHECK(file.problems[0] == path.string() + ":2: expected 'username password'");
  CHECK_THROWS_AS(load_credentials(dir / "missing.txt"), std::runtime_error);
}
