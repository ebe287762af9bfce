// Connection caps and login throttling (server/limits): pure, no sockets, no clocks.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/limits/connection_caps.hpp"
#include "server/limits/login_throttle.hpp"

using namespace parley::server::limits;
using Admission = ConnectionCaps::Admission;

TEST_CASE("connection caps: per address and in all before login; a login frees the pre-login place") {
  ConnectionCaps caps({.max_connections = 6, .max_prelogin = 4, .max_prelogin_per_ip = 2});
  CHECK(caps.admit(1, "10.0.0.1") == Admission::admitted);
  CHECK(caps.admit(2, "10.0.0.1") == Admission::admitted);
  CHECK(caps.admit(3, "10.0.0.1") == Admission::too_many_from_address);
  CHECK(caps.admit(4, "10.0.0.2") == Admission::admitted);
  caps.logged_in(1);
  CHECK(caps.prelogin_from("10.0.0.1") == 1);
  CHECK(caps.admit(5, "10.0.0.1") == Admission::admitted);
  CHECK(caps.admit(6, "10.0.0.3") == Admission::admitted);
  CHECK(caps.prelogin() == 4);
  CHECK(caps.admit(7, "10.0.0.4") == Admission::too_many_prelogin);
  caps.logged_in(2);
  CHECK(caps.admit(8, "10.0.0.4") == Admission::admitted);
  CHECK(caps.connections() == 6);
  CHECK(caps.admit(9, "10.0.0.5") == Admission::too_many);
  caps.closed(1);   // logged in: frees a place in all
  caps.closed(4);   // not logged in: frees a pre-login place too
  caps.closed(1);   // twice is harmless
  caps.closed(99);  // so is an unknown id
  CHECK(caps.admit(10, "10.0.0.5") == Admission::admitted);
  for (std::uint64_t id : {2, 5, 6, 8, 10}) caps.closed(id);
  CHECK(caps.connections() == 0);
  CHECK(caps.prelogin() == 0);
  CHECK(caps.prelogin_from("10.0.0.1") == 0);
  CHECK(ip_of("127.0.0.2:4242") == "127.0.0.2");
  CHECK(ip_of("::1:4242") == "::1");
}

TEST_CASE("login throttle: round-robin over addresses, so a guesser with many connections gets one turn") {
  LoginThrottle throttle({.workers = 1, .queued_per_ip = 4, .queued_per_name = 4});
  std::vector<std::string> order;
  auto job = [&](std::string what) { return [&order, what] { order.push_back(what); }; };
  for (int i = 0; i < 4; ++i)
    CHECK(throttle.enqueue("10.6.6.6", "user" + std::to_string(i), job("guess" + std::to_string(i))));
  CHECK_FALSE(throttle.enqueue("10.6.6.6", "user9", job("refused")));  // its queue is full
  CHECK(throttle.enqueue("10.0.0.1", "alice", job("alice")));
  auto run = [&](const std::string& name) {
    auto jobs = throttle.ready();
    REQUIRE(jobs.size() == 1);
    jobs.front()();
    throttle.finished(name);
  };
  run("user0");
  run("alice");  // second, not fifth
  run("user1");
  CHECK(order == std::vector<std::string>{"guess0", "alice", "guess1"});
  CHECK(throttle.queued() == 2);
}

TEST_CASE("login throttle: one check per name at a time; a name cannot fill the queue") {
  LoginThrottle throttle({.workers = 2, .queued_per_ip = 10, .queued_per_name = 2});
  CHECK(throttle.enqueue("a", "Alice", [] {}));
  CHECK(throttle.enqueue("b", "alice", [] {}));
  CHECK_FALSE(throttle.enqueue("c", "ALICE", [] {}));
  CHECK(throttle.enqueue("c", "bob", [] {}));
  auto first = throttle.ready();
  CHECK(first.size() == 2);  // Alice and bob; the second alice waits for the first
  CHECK(throttle.running() == 2);
  throttle.finished("alice");
  CHECK(throttle.ready().size() == 1);
  CHECK(throttle.ready().empty());
}

TEST_CASE("login throttle: failures from an address are free up to a point, then double the wait") {
  LoginThrottle throttle({.free_failures_per_ip = 2,
                          .failure_delay_ms = 1000,
                          .max_failure_delay_ms = 4000,
                          .forget_failures_ms = 60'000});
  const std::int64_t t = 1'000'000;
  throttle.failed("x", t);
  throttle.failed("x", t);
  CHECK(throttle.wait_ms("x", t) == 0);
  throttle.failed("x", t);
  CHECK(throttle.wait_ms("x", t) == 1000);
  CHECK(throttle.wait_ms("y", t) == 0);  // others are not slowed down
  throttle.failed("x", t + 1000);
  CHECK(throttle.wait_ms("x", t + 1000) == 2000);
  for (int i = 0; i < 10; ++i) throttle.failed("x", t + 2000);
  CHECK(throttle.wait_ms("x", t + 2000) == 4000);  // capped
  CHECK(throttle.wait_ms("x", t + 70'000) == 0);   // forgotten
  throttle.succeeded("x");
  CHECK(throttle.wait_ms("x", t + 2000) == 0);
}

TEST_CASE("login throttle: sign-ups per address and in all, per hour") {
  LoginThrottle throttle({.sign_ups_per_ip_per_hour = 2, .sign_ups_per_hour = 3});
  const std::int64_t t = 10'000'000;
  throttle.signed_up("a", t);
  throttle.signed_up("a", t + 1000);
  CHECK(throttle.sign_up_wait_ms("a", t + 1000) == 3600'000 - 1000);
  CHECK(throttle.sign_up_wait_ms("b", t + 1000) == 0);
  throttle.signed_up("b", t + 2000);
  CHECK(throttle.sign_up_wait_ms("c", t + 2000) == 3600'000 - 2000);
  CHECK(throttle.sign_up_wait_ms("a", t + 3600'000) == 0);
}
