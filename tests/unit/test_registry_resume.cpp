// The registry's side of resumption: a resume takes over a session not yet known dead
// without a presence flap, and a dropped connection's "offline" waits for the grace.
#include <doctest/doctest.h>

#include "server/registry/registry.hpp"

using namespace parley::server;
using namespace parley::wire;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;

Registry make_registry(std::int64_t grace_ms = 3'000) {
  return Registry({"alice", "bob", "carol"}, RegistrySettings{.presence_grace_ms = grace_ms});
}

void log_in(Registry& r, const std::string& user, SessionId id, std::int64_t now = T0) {
  auto fx = r.finish_login(1, user, true, id, "127.0.0.1:1", {}, now);
  REQUIRE(std::get<LoginResult>(*fx.reply).status == Status::ok);
}

std::size_t presence_sends(const Effects& fx) {
  std::size_t n = 0;
  for (const auto& s : fx.sends)
    if (std::holds_alternative<PresenceEvent>(s.message)) ++n;
  return n;
}

}  // namespace

TEST_CASE("resume: a fresh resume is a login (presence told); a takeover is silent") {
  auto r = make_registry();
  log_in(r, "bob", 2);
  std::optional<SessionId> replaced;
  auto fx = r.resume(7, "alice", 1, "127.0.0.1:1", {}, T0, replaced);
  CHECK_FALSE(replaced);
  CHECK(std::get<LoginResult>(*fx.reply).status == Status::ok);
  CHECK(std::get<LoginResult>(*fx.reply).request == 7);
  REQUIRE(presence_sends(fx) == 1);
  CHECK(fx.sends[0].to == std::vector<SessionId>{2});

  // Alice's connection 1 died unnoticed; she resumes on 3.
  fx = r.resume(8, "alice", 3, "127.0.0.1:2", {}, T0 + 10, replaced);
  REQUIRE(replaced);
  CHECK(*replaced == 1);
  CHECK(std::get<LoginResult>(*fx.reply).status == Status::ok);
  CHECK(presence_sends(fx) == 0);
  CHECK(r.session_of("alice") == SessionId{3});
  CHECK(r.user_of(1) == nullptr);
  // The old session ending later changes nothing and tells nobody.
  CHECK(r.logout(1, "gone", T0 + 20).sends.empty());
  CHECK(r.connection_lost(1, "gone", T0 + 20).sends.empty());
  CHECK(r.announce_departures(T0 + 60'000).sends.empty());
  CHECK(r.session_of("alice") == SessionId{3});

  fx = r.resume(9, "alice", 3, "", {}, T0 + 30, replaced);  // on the same session: no
  CHECK(std::get<LoginResult>(*fx.reply).status == Status::already_online);
}

TEST_CASE("presence grace: a dropped user back in time never flaps; one who stays away is told once") {
  auto r = make_registry(3'000);
  log_in(r, "alice", 1);
  log_in(r, "bob", 2);
  auto fx = r.connection_lost(1, "connection lost", T0 + 100);
  CHECK(presence_sends(fx) == 0);
  CHECK_FALSE(r.session_of("alice"));  // offline for messages at once (they are stored)
  CHECK(r.announce_departures(T0 + 3'000).sends.empty());

  SUBCASE("back within the grace, by password or token") {
    auto back = r.finish_login(1, "alice", true, 3, "", {}, T0 + 2'000);
    CHECK(presence_sends(back) == 0);
    CHECK(r.announce_departures(T0 + 10'000).sends.empty());
  }
  SUBCASE("still away after the grace: offline, dated when the connection dropped") {
    auto told = r.announce_departures(T0 + 3'100);
    REQUIRE(presence_sends(told) == 1);
    auto& event = std::get<PresenceEvent>(told.sends[0].message);
    CHECK(event.user == "alice");
    CHECK_FALSE(event.online);
    CHECK(event.at_ms == T0 + 100);
    CHECK(told.sends[0].to == std::vector<SessionId>{2});
    CHECK(r.announce_departures(T0 + 9'000).sends.empty());  // once
    // A login after that is news again.
    std::optional<SessionId> replaced;
    CHECK(presence_sends(r.resume(1, "alice", 4, "", {}, T0 + 9'500, replaced)) == 1);
  }
  SUBCASE("a logout is told at once, and no grace applies") {
    auto out = r.logout(2, "logged out", T0 + 200);
    CHECK(presence_sends(out) == 1);
  }
}

TEST_CASE("presence grace 0: a dropped connection is told at once") {
  auto r = make_registry(0);
  log_in(r, "alice", 1);
  log_in(r, "bob", 2);
  CHECK(presence_sends(r.connection_lost(1, "lost", T0)) == 1);
}

TEST_CASE("resume right after a server start is not announced (everyone was disconnected)") {
  Registry r({"alice", "bob"}, RegistrySettings{.quiet_resumes_until_ms = T0 + 20'000});
  log_in(r, "bob", 2, T0);
  std::optional<SessionId> replaced;
  CHECK(presence_sends(r.resume(1, "alice", 1, "", {}, T0 + 1'000, replaced)) == 0);
  CHECK(r.session_of("alice") == SessionId{1});
  CHECK(presence_sends(r.logout(1, "logged out", T0 + 2'000)) == 1);  // leaving is news
  CHECK(presence_sends(r.resume(1, "alice", 3, "", {}, T0 + 20'000, replaced)) == 1);
}
