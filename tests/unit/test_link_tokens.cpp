#include <doctest/doctest.h>

#include "peer/links/link_tokens.hpp"

using parley::peer::LinkTokens;

namespace {
constexpr std::int64_t T0 = 1'700'000'000'000;
const std::string kAlice(64, 'a');
const std::string kMallory(64, 'e');
}  // namespace

TEST_CASE("a token opens one link, for its user and certificate only") {
  LinkTokens tokens(30'000);
  tokens.expect("t1", "alice", kAlice, T0);
  CHECK(tokens.redeem("t1", "alice", kAlice, T0 + 1) == "");
  CHECK(tokens.redeem("t1", "alice", kAlice, T0 + 2) == "unknown or already used token");  // replay
}

TEST_CASE("forged, stolen, misused and stale tokens are refused") {
  LinkTokens tokens(30'000);
  tokens.expect("t1", "alice", kAlice, T0);
  CHECK(tokens.redeem("forged", "alice", kAlice, T0) == "unknown or already used token");
  SUBCASE("right token, another certificate (a thief who saw the token)") {
    CHECK(tokens.redeem("t1", "alice", kMallory, T0).find("does not match") != std::string::npos);
  }
  SUBCASE("right token, another user name") {
    CHECK(tokens.redeem("t1", "mallory", kAlice, T0) == "token issued for alice, not mallory");
  }
  SUBCASE("too late") { CHECK(tokens.redeem("t1", "alice", kAlice, T0 + 30'000) == "expired token"); }
  // Whatever failed, the token is burnt: no second guess.
  CHECK(tokens.redeem("t1", "alice", kAlice, T0 + 1).find("unknown") != std::string::npos);
}

TEST_CASE("expired tokens are forgotten") {
  LinkTokens tokens(1'000);
  tokens.expect("t1", "alice", kAlice, T0);
  tokens.expect("t2", "bob", kAlice, T0 + 500);
  tokens.expire(T0 + 1'000);
  CHECK(tokens.size() == 1);
  tokens.expire(T0 + 1'500);
  CHECK(tokens.size() == 0);
}

TEST_CASE("fingerprints compare case-insensitively and with separators") {
  LinkTokens tokens;
  std::string upper(64, 'A');
  tokens.expect("t", "alice", upper, T0);
  CHECK(tokens.redeem("t", "alice", kAlice, T0) == "");
}
