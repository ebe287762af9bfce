// The relay's pure parts: tickets, pairing with its caps, and the token bucket.
#include <doctest/doctest.h>

#include "relay/pairing.hpp"
#include "relay/ticket.hpp"
#include "relay/token_bucket.hpp"

using namespace parley::relay;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef";

Ticket ticket(const std::string& pair, std::uint8_t side, const std::string& user) {
  return Ticket{pair, side, T0 + 60'000, user};
}
std::string pair_id(char c) { return std::string(32, c); }

}  // namespace

TEST_CASE("relay ticket: signed, checked, and refused when changed, forged or expired") {
  const auto text = sign_ticket(ticket(pair_id('a'), 1, "bob"), kSecret);
  std::string error;
  auto back = verify_ticket(text, kSecret, T0, &error);
  REQUIRE(back);
  CHECK(back->pair == pair_id('a'));
  CHECK(back->side == 1);
  CHECK(back->user == "bob");

  auto tampered = text;
  tampered.replace(tampered.find(":bob:"), 5, ":eve:");
  CHECK_FALSE(verify_ticket(tampered, kSecret, T0, &error));
  CHECK(error.find("signature") != std::string::npos);
  CHECK_FALSE(verify_ticket(text, "another secret, another registry", T0, &error));
  CHECK_FALSE(verify_ticket(text, kSecret, T0 + 60'000, &error));
  CHECK(error.find("expired") != std::string::npos);
  CHECK_FALSE(verify_ticket("garbage", kSecret, T0, &error));
  CHECK(pair_of_token("t1") != pair_of_token("t2"));
  CHECK(pair_of_token("t1").size() == 32);
}

TEST_CASE("relay pairing: two halves of one ticket pair meet; tickets work once") {
  Pairing p(Limits{});
  CHECK(p.admit(1, ticket(pair_id('a'), 1, "bob"), T0).kind == Pairing::Admission::Kind::waiting);
  auto second = p.admit(2, ticket(pair_id('a'), 0, "alice"), T0);
  CHECK(second.kind == Pairing::Admission::Kind::paired);
  CHECK(second.partner == 1);
  CHECK(p.links() == 1);
  // A replay of either ticket is refused, even while the link is up.
  auto replay = p.admit(3, ticket(pair_id('a'), 0, "alice"), T0);
  CHECK(replay.kind == Pairing::Admission::Kind::refused);
  CHECK(replay.reason.find("already used") != std::string::npos);
  p.release(1);
  CHECK(p.links() == 0);
  p.release(2);
  CHECK(p.halves_of("alice") == 0);
}

TEST_CASE("relay pairing: an unpaired half is dropped after its time") {
  Limits limits;
  limits.unpaired_ms = 5'000;
  Pairing p(limits);
  p.admit(1, ticket(pair_id('a'), 1, "bob"), T0);
  CHECK(p.expire(T0 + 4'999).empty());
  CHECK(p.expire(T0 + 5'000) == std::vector<Pairing::HalfId>{1});
  CHECK(p.waiting() == 0);
  CHECK(p.halves_of("bob") == 0);
}

TEST_CASE("relay pairing: at its link cap, a pairing is refused to both halves with the reason") {
  Limits limits;
  limits.max_links = 1;
  Pairing p(limits);
  p.admit(1, ticket(pair_id('a'), 1, "bob"), T0);
  p.admit(2, ticket(pair_id('a'), 0, "alice"), T0);
  // A second link: its first half is refused at once, and its partner when it comes.
  auto first = p.admit(3, ticket(pair_id('b'), 1, "carol"), T0);
  CHECK(first.kind == Pairing::Admission::Kind::refused);
  CHECK(first.reason.find("the relay is full: 1 relayed links") != std::string::npos);
  auto partner = p.admit(4, ticket(pair_id('b'), 0, "dave"), T0);
  CHECK(partner.kind == Pairing::Admission::Kind::refused);
  CHECK(partner.reason == first.reason);
}

TEST_CASE("relay pairing: a half waiting when its partner is refused is refused too") {
  Limits limits;
  limits.max_per_user = 1;
  Pairing p(limits);
  p.admit(1, ticket(pair_id('a'), 1, "bob"), T0);    // bob's one connection
  p.admit(2, ticket(pair_id('b'), 1, "carol"), T0);  // carol waits for bob
  auto refused = p.admit(3, ticket(pair_id('b'), 0, "bob"), T0);
  CHECK(refused.kind == Pairing::Admission::Kind::refused);
  CHECK(refused.partner == 2);  // carol is told now, not after the timeout
  CHECK(refused.reason.find("per user") != std::string::npos);
  CHECK(p.waiting() == 1);
}

TEST_CASE("relay pairing: waiting halves are capped in all") {
  Limits limits;
  limits.max_waiting = 2;
  Pairing p(limits);
  CHECK(p.admit(1, ticket(pair_id('a'), 1, "a1"), T0).kind == Pairing::Admission::Kind::waiting);
  CHECK(p.admit(2, ticket(pair_id('b'), 1, "b1"), T0).kind == Pairing::Admission::Kind::waiting);
  CHECK(p.admit(3, ticket(pair_id('c'), 1, "c1"), T0).kind == Pairing::Admission::Kind::refused);
  // Completing a pair is not waiting: still allowed.
  CHECK(p.admit(4, ticket(pair_id('a'), 0, "a0"), T0).kind == Pairing::Admission::Kind::paired);
}

TEST_CASE("token bucket: a burst, then the rate") {
  using namespace std::chrono;
  const auto t0 = TokenBucket::Clock::time_point{} + seconds(100);
  TokenBucket bucket(1000, 500, t0);
  CHECK(bucket.wait_for(400, t0) == TokenBucket::Clock::duration::zero());
  bucket.take(400);
  CHECK(bucket.wait_for(400, t0) == duration_cast<TokenBucket::Clock::duration>(milliseconds(300)));
  CHECK(bucket.wait_for(400, t0 + milliseconds(300)) == TokenBucket::Clock::duration::zero());
  // The burst caps what is saved up, and what is waited for.
  CHECK(bucket.available(t0 + seconds(10)) == doctest::Approx(500));
  TokenBucket unlimited(0, 0, t0);
  CHECK(unlimited.wait_for(1 << 30, t0) == TokenBucket::Clock::duration::zero());
}
