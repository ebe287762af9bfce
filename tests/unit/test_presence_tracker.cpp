#include <doctest/doctest.h>

#include "peer/engine/presence_tracker.hpp"

using parley::peer::PresenceTracker;
using Change = PresenceTracker::Change;

namespace {
const auto t0 = PresenceTracker::Clock::time_point{} + std::chrono::hours(1);
}

TEST_CASE("presence: ordinary logins and logouts are shown") {
  PresenceTracker p;
  p.reset({"bob"});
  CHECK(p.on_event("carol", true, t0));
  CHECK(p.on_event("bob", false, t0));
  CHECK_FALSE(p.on_event("bob", false, t0));  // already shown gone
  CHECK(p.online() == std::set<std::string>{"carol"});
}

TEST_CASE("presence: a server restart shows nothing for those who come back") {
  PresenceTracker p;
  p.reset({"bob", "carol"});
  // We are back before bob and carol: the server lists nobody yet.
  CHECK(p.back({}, t0).empty());
  CHECK_FALSE(p.on_event("bob", true, t0 + std::chrono::seconds(1)));
  CHECK_FALSE(p.on_event("carol", true, t0 + std::chrono::seconds(2)));
  CHECK(p.settle(t0 + PresenceTracker::kSettle).empty());
}

TEST_CASE("presence: after a restart, who did not come back is told once settled") {
  PresenceTracker p;
  p.reset({"bob", "carol"});
  CHECK(p.back({"bob"}, t0).empty());
  CHECK(p.settle(t0 + std::chrono::seconds(1)).empty());  // still settling
  CHECK(p.settle(t0 + PresenceTracker::kSettle) == std::vector<Change>{{"carol", false}});
  CHECK(p.settle(t0 + PresenceTracker::kSettle).empty());  // told once
}

TEST_CASE("presence: someone who logged in while we were away is told at once") {
  PresenceTracker p;
  p.reset({"bob"});
  CHECK(p.back({"bob", "dave"}, t0) == std::vector<Change>{{"dave", true}});
  CHECK_FALSE(p.on_event("dave", true, t0));
}

TEST_CASE("presence: a real logout while settling is shown") {
  PresenceTracker p;
  p.reset({"bob"});
  p.back({}, t0);
  CHECK_FALSE(p.on_event("bob", true, t0 + std::chrono::seconds(1)));  // came back
  CHECK(p.on_event("bob", false, t0 + std::chrono::seconds(2)));       // and really left
  CHECK(p.settle(t0 + PresenceTracker::kSettle).empty());
}

TEST_CASE("presence: a logout of someone whose quiet resume we did not hear of is shown at once") {
  PresenceTracker p;
  p.reset({"bob"});
  p.back({}, t0);
  CHECK(p.on_event("bob", false, t0 + std::chrono::seconds(1)));
  CHECK(p.settle(t0 + PresenceTracker::kSettle).empty());
}

TEST_CASE("presence: the list asked again before settling counts those who resumed unannounced") {
  PresenceTracker p;
  p.reset({"bob", "carol", "dave"});
  CHECK(p.back({}, t0).empty());  // we were the first back
  CHECK(p.refresh({"bob", "carol", "erin"}) == std::vector<Change>{{"erin", true}});
  CHECK(p.settle(t0 + PresenceTracker::kSettle) == std::vector<Change>{{"dave", false}});
  CHECK(p.online() == std::set<std::string>{"bob", "carol", "erin"});
}

TEST_CASE("presence: a logout heard while the list was on its way is not undone by the list") {
  PresenceTracker p;
  p.reset({"bob", "carol"});
  p.asking();                             // back after a restart: who is online?
  CHECK(p.on_event("carol", false, t0));  // read before the answer's reader woke up
  CHECK(p.back({"bob", "carol"}, t0).empty());
  CHECK(p.online() == std::set<std::string>{"bob"});
  CHECK(p.settle(t0 + PresenceTracker::kSettle).empty());
}

TEST_CASE("presence: a login heard while the list was on its way counts") {
  PresenceTracker p;
  p.reset({"bob"});
  p.asking();
  CHECK(p.on_event("dave", true, t0));
  CHECK(p.refresh({"bob"}).empty());
  CHECK(p.online() == std::set<std::string>{"bob", "dave"});
}
