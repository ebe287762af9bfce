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
  SUBCASE("a chat token used for a transfer link") {
    CHECK(tokens.redeem("t1", "alice", kAlice, T0, parley::wire::LinkPurpose::transfer) ==
          "token issued for a chat link, not a transfer link");
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

TEST_CASE("one pending dial per user, a bounded table, and blocking forgets") {
  LinkTokens tokens;
  tokens.expect("old", "alice", kAlice, T0);
  tokens.expect("new", "alice", kAlice, T0);
  CHECK(tokens.size() == 1);  // a flood of requests from alice costs one entry
  CHECK(tokens.redeem("old", "alice", kAlice, T0).find("unknown") != std::string::npos);
  tokens.expect("again", "alice", kAlice, T0);
  tokens.forget("alice");
  CHECK(tokens.redeem("again", "alice", kAlice, T0).find("unknown") != std::string::npos);
  for (std::size_t i = 0; i < LinkTokens::kMaxExpected; ++i)
    CHECK(tokens.expect("t" + std::to_string(i), "user" + std::to_string(i), kAlice, T0));
  CHECK_FALSE(tokens.expect("one-too-many", "zed", kAlice, T0));
}

TEST_CASE("a user may be expected for a chat and a transfer at once, one token each") {
  using parley::wire::LinkPurpose;
  LinkTokens tokens(30'000);
  tokens.expect("chat1", "alice", kAlice, T0, LinkPurpose::chat);
  tokens.expect("xfer1", "alice", kAlice, T0, LinkPurpose::transfer);
  tokens.expect("xfer2", "alice", kAlice, T0, LinkPurpose::transfer);  // replaces xfer1
  CHECK(tokens.size() == 2);
  CHECK(tokens.redeem("xfer1", "alice", kAlice, T0, LinkPurpose::transfer).find("unknown") !=
        std::string::npos);
  CHECK(tokens.redeem("xfer2", "alice", kAlice, T0, LinkPurpose::transfer) == "");
  CHECK(tokens.redeem("chat1", "alice", kAlice, T0, LinkPurpose::chat) == "");
}
