// Session resumption tokens as pure logic: issue, verify, expire, revoke, credential
// change, and the bound per user.
#include <doctest/doctest.h>

#include <array>

#include "server/registry/resume_tokens.hpp"
#include "shared/util/hex.hpp"

using namespace parley::server;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;
constexpr std::int64_t kDay = 24LL * 3600 * 1000;

std::array<std::uint8_t, 32> secret(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(seed * 31 + i);
  return bytes;
}

const std::string kCred = credential_digest(Credential{Credential::Kind::plaintext, "alice123"});

}  // namespace

TEST_CASE("resume tokens: issued, verified for its user only, hash stored, never the token") {
  ResumeTokens tokens;
  auto issued = tokens.issue("alice", kCred, secret(1), T0);
  CHECK(issued.token.size() == 64);
  CHECK(issued.token == parley::to_hex(std::span<const std::uint8_t>(secret(1))));
  REQUIRE(issued.change.put.size() == 1);
  const StoredToken& stored = issued.change.put[0];
  CHECK(stored.hash.size() == 32);
  CHECK(stored.hash == issued.hash);
  CHECK(stored.hash != issued.token);
  CHECK(stored.user == "alice");
  CHECK(stored.expires_ms == T0 + 14 * kDay);
  CHECK(stored.credential == kCred);

  auto ok = tokens.verify(issued.token, "alice", &kCred, T0 + 1000);
  CHECK(ok.ok());
  CHECK(ok.hash == issued.hash);
  CHECK(ok.change.empty());
  CHECK(tokens.verify(issued.token, "alice", &kCred, T0 + 2000).ok());  // reusable until revoked

  SUBCASE("another user's token is refused, and burnt") {
    auto other = tokens.verify(issued.token, "bob", &kCred, T0);
    CHECK(other.verdict == ResumeTokens::Verdict::other_user);
    CHECK(other.change.remove == std::vector<std::string>{issued.hash});
    CHECK(tokens.verify(issued.token, "alice", &kCred, T0).verdict == ResumeTokens::Verdict::unknown);
  }
  SUBCASE("unknown, malformed and wrong-length tokens are unknown") {
    std::string flipped = issued.token;
    flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
    CHECK(tokens.verify(flipped, "alice", &kCred, T0).verdict == ResumeTokens::Verdict::unknown);
    CHECK(tokens.verify("", "alice", &kCred, T0).verdict == ResumeTokens::Verdict::unknown);
    CHECK(tokens.verify("zz", "alice", &kCred, T0).verdict == ResumeTokens::Verdict::unknown);
    CHECK(tokens.verify(issued.token.substr(0, 62), "alice", &kCred, T0).verdict ==
          ResumeTokens::Verdict::unknown);
    CHECK(tokens.size() == 1);
  }
  SUBCASE("expired: refused and deleted") {
    auto late = tokens.verify(issued.token, "alice", &kCred, T0 + 14 * kDay);
    CHECK(late.verdict == ResumeTokens::Verdict::expired);
    CHECK(late.change.remove.size() == 1);
    CHECK(tokens.size() == 0);
  }
  SUBCASE("a changed credential (password edited, or the account gone) revokes it") {
    const std::string changed = credential_digest(Credential{Credential::Kind::plaintext, "new-password"});
    CHECK(changed != kCred);
    CHECK(tokens.verify(issued.token, "alice", &changed, T0).verdict ==
          ResumeTokens::Verdict::credential_changed);
    CHECK(tokens.size() == 0);
    auto again = tokens.issue("alice", kCred, secret(2), T0);
    CHECK(tokens.verify(again.token, "alice", nullptr, T0).verdict ==
          ResumeTokens::Verdict::credential_changed);
  }
  SUBCASE("revoked one by one, or all of a user's") {
    auto second = tokens.issue("alice", kCred, secret(2), T0);
    auto bobs = tokens.issue("bob", kCred, secret(3), T0);
    CHECK(tokens.revoke(issued.hash).remove == std::vector<std::string>{issued.hash});
    CHECK(tokens.revoke(issued.hash).empty());  // twice is nothing
    CHECK_FALSE(tokens.verify(issued.token, "alice", &kCred, T0).ok());
    CHECK(tokens.verify(second.token, "alice", &kCred, T0).ok());
    CHECK(tokens.revoke_user("alice").remove.size() == 1);
    CHECK_FALSE(tokens.verify(second.token, "alice", &kCred, T0).ok());
    CHECK(tokens.verify(bobs.token, "bob", &kCred, T0).ok());
  }
}

TEST_CASE("resume tokens: at most the newest per_user per user; expiry sweep; restore") {
  ResumeTokens tokens(TokenSettings{.lifetime_ms = kDay, .per_user = 3});
  std::vector<ResumeTokens::Issued> issued;
  for (std::uint8_t i = 0; i < 5; ++i) issued.push_back(tokens.issue("alice", kCred, secret(i), T0 + i));
  CHECK(tokens.count_of("alice") == 3);
  // Issuing the 4th and 5th evicted the two oldest, durably.
  CHECK(issued[3].change.remove == std::vector<std::string>{issued[0].hash});
  CHECK(issued[4].change.remove == std::vector<std::string>{issued[1].hash});
  CHECK_FALSE(tokens.verify(issued[0].token, "alice", &kCred, T0).ok());
  CHECK(tokens.verify(issued[4].token, "alice", &kCred, T0).ok());

  tokens.issue("bob", kCred, secret(9), T0 + kDay / 2);
  auto swept = tokens.expire(T0 + kDay + 10);  // alice's three are past their day, bob's not
  CHECK(swept.remove.size() == 3);
  CHECK(tokens.size() == 1);

  SUBCASE("restore keeps the live ones and deletes the expired") {
    std::vector<StoredToken> saved;
    for (auto& i : issued) saved.push_back(i.change.put[0]);
    ResumeTokens fresh(TokenSettings{.lifetime_ms = kDay, .per_user = 3});
    auto change = fresh.restore(saved, T0 + 100);
    CHECK(change.put.empty());
    CHECK(change.remove.size() == 2);  // over the bound: the two oldest
    CHECK(fresh.verify(issued[4].token, "alice", &kCred, T0 + 100).ok());
    auto later =
        ResumeTokens(TokenSettings{.lifetime_ms = kDay, .per_user = 8}).restore(saved, T0 + 2 * kDay);
    CHECK(later.remove.size() == 5);
  }
}

TEST_CASE("credential digest: differs per secret and kind, stable, short") {
  const auto a = credential_digest(Credential{Credential::Kind::plaintext, "x"});
  CHECK(a == credential_digest(Credential{Credential::Kind::plaintext, "x"}));
  CHECK(a != credential_digest(Credential{Credential::Kind::hashed, "x"}));
  CHECK(a != credential_digest(Credential{Credential::Kind::plaintext, "y"}));
  CHECK(a.size() == 32);
}
