// Fair use per user (server/limits): token buckets, quotas, the refusal's answer, and
// the kick for sustained abuse. No sockets, no clocks: the time is passed in.
#include <doctest/doctest.h>

#include "server/limits/bans.hpp"
#include "server/limits/fair_use.hpp"
#include "server/limits/token_bucket.hpp"

using namespace parley;
using namespace parley::server::limits;

namespace {

wire::Message message_to(std::vector<std::string> to) {
  return wire::SendMessage{7, "id", std::move(to), "hi"};
}
wire::Message broadcast() { return wire::Broadcast{8, "id", "hi"}; }
wire::Message registration(std::uint32_t chunks) {
  wire::RegisterFile r;
  r.request = 9;
  r.name = "f";
  r.chunk_count = chunks;
  return r;
}

}  // namespace

TEST_CASE("token bucket: a full burst at once, then the rate; the wait says when") {
  TokenBucket bucket(2, 4);  // 2 a second, bursts of 4
  const std::int64_t t0 = 1'000'000;
  for (int i = 0; i < 4; ++i) CHECK(bucket.take(t0));
  CHECK_FALSE(bucket.take(t0));
  CHECK(bucket.wait_ms(t0) == 500);
  CHECK_FALSE(bucket.take(t0 + 499));
  CHECK(bucket.take(t0 + 500));
  CHECK_FALSE(bucket.full(t0 + 500));
  CHECK(bucket.full(t0 + 2500));
  CHECK(bucket.wait_ms(t0 + 2500, 10) == 0);  // more than the burst waits for the burst only
  CHECK(TokenBucket(0, 1).take(t0, 1e9));     // rate 0: no limit
}

TEST_CASE("fair use: broadcasts beyond the burst are refused with when to retry, others are not") {
  FairUse fair({.broadcasts_per_second = 1, .broadcast_burst = 3});
  const std::int64_t t0 = 5'000'000;
  for (int i = 0; i < 3; ++i) CHECK_FALSE(fair.check("mallory", broadcast(), {}, t0));
  auto refused = fair.check("mallory", broadcast(), {}, t0);
  REQUIRE(refused);
  CHECK(refused->retry_after_ms == 1000);
  CHECK(refused->message.find("try again in 1.0 s") != std::string::npos);
  CHECK_FALSE(refused->kick);
  CHECK_FALSE(fair.check("alice", broadcast(), {}, t0));  // someone else's bucket is theirs
  CHECK_FALSE(fair.check("mallory", broadcast(), {}, t0 + 1000));
  CHECK_FALSE(fair.check("mallory", wire::Ping{1}, {}, t0));  // cheap requests always pass

  auto reply = refusal_reply(broadcast(), *refused);
  auto* result = std::get_if<wire::Result>(&reply);
  REQUIRE(result);
  CHECK(result->request == 8);
  CHECK(result->status == wire::Status::rate_limited);
  auto offer = refusal_reply(wire::StartPrivate{3, "bob"}, *refused);
  REQUIRE(std::holds_alternative<wire::LinkOffer>(offer));
  CHECK(std::get<wire::LinkOffer>(offer).status == wire::Status::rate_limited);
  CHECK(std::get<wire::LinkOffer>(offer).user == "bob");
}

TEST_CASE("fair use: a group message costs one message and one recipient each; a refusal costs nothing") {
  FairUse fair({.messages_per_second = 100, .message_burst = 100, .recipients_per_minute = 60});
  const std::int64_t t0 = 9'000'000;
  std::vector<std::string> group(32, "x");
  CHECK_FALSE(fair.check("a", message_to(group), {}, t0));
  auto refused = fair.check("a", message_to(group), {}, t0);  // 64 recipients > 60
  REQUIRE(refused);
  CHECK(refused->message.find("recipients") != std::string::npos);
  CHECK(refused->retry_after_ms == 4000);  // 4 more recipient tokens at 1 a second
  for (int i = 0; i < 28; ++i) CHECK_FALSE(fair.check("a", message_to({"b"}), {}, t0));
  CHECK(fair.check("a", message_to({"b"}), {}, t0));
}

TEST_CASE("fair use: registrations past the per-user file or chunk quota are refused") {
  FairUse fair({.max_files_per_user = 2, .max_chunks_per_user = 100});
  CHECK_FALSE(fair.check("a", registration(50), {1, 50}, 0));
  auto files = fair.check("a", registration(1), {2, 51}, 0);
  REQUIRE(files);
  CHECK(files->retry_after_ms == 0);
  CHECK(files->message.find("2 files") != std::string::npos);
  auto chunks = fair.check("a", registration(51), {1, 50}, 0);
  REQUIRE(chunks);
  CHECK(chunks->message.find("101 chunks") != std::string::npos);
  // Quotas hold with the rate limits off too.
  FairUse unrated({.rate_limits = false, .max_files_per_user = 2});
  CHECK(unrated.check("a", registration(1), {2, 2}, 0));
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(unrated.check("a", broadcast(), {}, 0));
}

TEST_CASE("fair use: sustained refusals end in a kick; pruning forgets users at rest") {
  FairUse fair({.broadcasts_per_second = 1,
                .broadcast_burst = 1,
                .refusals_before_kick = 5,
                .abuse_window_ms = 10'000});
  const std::int64_t t0 = 1'000'000;
  CHECK_FALSE(fair.check("m", broadcast(), {}, t0));
  for (int i = 1; i < 5; ++i) CHECK_FALSE(fair.check("m", broadcast(), {}, t0)->kick);
  CHECK(fair.check("m", broadcast(), {}, t0)->kick);
  // A new window starts over.
  CHECK_FALSE(fair.check("m", broadcast(), {}, t0 + 20'000));
  CHECK(fair.tracked() == 1);
  fair.prune(t0 + 20'000);
  CHECK(fair.tracked() == 1);  // still spending
  fair.prune(t0 + 40'000);
  CHECK(fair.tracked() == 0);
}

TEST_CASE("bans: in force until their time, whatever the case of the name") {
  Bans bans;
  bans.ban("Mallory", 2000, "spam");
  auto ban = bans.active("mallory", 1000);
  REQUIRE(ban);
  CHECK(ban->reason == "spam");
  CHECK_FALSE(bans.active("alice", 1000));
  CHECK_FALSE(bans.active("MALLORY", 2000));
}

TEST_CASE("fair use: applies_to says which requests check() could refuse, so the rest skip it") {
  FairUseSettings limited;
  FairUseSettings unlimited;
  unlimited.rate_limits = false;
  for (const FairUseSettings& settings : {limited, unlimited}) {
    FairUse fair(settings);
    CHECK(fair.applies_to(registration(1)));  // the file quota holds either way
    CHECK(fair.applies_to(message_to({"bob"})) == settings.rate_limits);
    CHECK(fair.applies_to(broadcast()) == settings.rate_limits);
    CHECK_FALSE(fair.applies_to(wire::Message{wire::Heartbeat{}}));
    CHECK_FALSE(fair.applies_to(wire::Message{wire::AckOffline{{1, 2}}}));
  }
}
