#include <doctest/doctest.h>

#include "server/idle_policy.hpp"

using namespace parley::server;
using namespace std::chrono_literals;

TEST_CASE("idle warning: 30 s before the logout, or half the timeout when that is shorter") {
  CHECK(idle_warning_lead(300s) == 30s);
  CHECK(idle_warning_lead(60s) == 30s);
  CHECK(idle_warning_lead(40s) == 20s);
  CHECK(idle_warning_lead(4s) == 2s);
  CHECK(idle_warning_lead(1s) == 500ms);
}

TEST_CASE("the sweep is frequent enough for short timeouts and once a second for real ones") {
  CHECK(sweep_interval(300s) == 1s);
  CHECK(sweep_interval(60s) == 1s);
  CHECK(sweep_interval(4s) == 250ms);  // a 4 s timeout warns 2 s ahead, give or take 0.25 s
  CHECK(sweep_interval(1s) == 100ms);  // never more than 10 sweeps a second
}

TEST_CASE("idle: warn once per idle period, then log out after the timeout") {
  CHECK(idle_action(1s, 4s, false) == IdleAction::none);
  CHECK(idle_action(1999ms, 4s, false) == IdleAction::none);
  CHECK(idle_action(2s, 4s, false) == IdleAction::warn);
  CHECK(idle_action(2500ms, 4s, true) == IdleAction::none);  // warned already
  CHECK(idle_action(4s, 4s, true) == IdleAction::none);      // the timeout itself is still allowed
  CHECK(idle_action(4001ms, 4s, true) == IdleAction::logout);
  CHECK(idle_action(4001ms, 4s, false) == IdleAction::logout);  // a late sweep does not warn first
  CHECK(idle_action(269s, 300s, false) == IdleAction::none);
  CHECK(idle_action(270s, 300s, false) == IdleAction::warn);
}

TEST_CASE("the warning counts whole seconds left, rounded up, at least one") {
  CHECK(idle_seconds_left(2s, 4s) == 2);
  CHECK(idle_seconds_left(2200ms, 4s) == 2);
  CHECK(idle_seconds_left(270s, 300s) == 30);
  CHECK(idle_seconds_left(270500ms, 300s) == 30);
  CHECK(idle_seconds_left(3999ms, 4s) == 1);
  CHECK(idle_seconds_left(4s, 4s) == 1);
}
