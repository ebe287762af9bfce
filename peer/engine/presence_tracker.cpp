#include "peer/engine/presence_tracker.hpp"

namespace parley::peer {

void PresenceTracker::asking() { heard_since_asking_.clear(); }

void PresenceTracker::take_list(const std::vector<std::string>& online) {
  online_ = {online.begin(), online.end()};
  for (const auto& [user, is_online] : heard_since_asking_) {
    if (is_online)
      online_.insert(user);
    else
      online_.erase(user);
  }
  heard_since_asking_.clear();
}

std::vector<PresenceTracker::Change> PresenceTracker::newly_online() {
  std::vector<Change> changes;
  for (const auto& user : online_)
    if (shown_.insert(user).second) changes.push_back({user, true});
  return changes;
}

void PresenceTracker::reset(const std::vector<std::string>& online) {
  take_list(online);
  shown_ = online_;
  settle_until_ = {};
}

std::vector<PresenceTracker::Change> PresenceTracker::back(const std::vector<std::string>& online,
                                                           Clock::time_point now) {
  take_list(online);
  settle_until_ = now + kSettle;
  return newly_online();
}

std::vector<PresenceTracker::Change> PresenceTracker::refresh(const std::vector<std::string>& online) {
  take_list(online);
  return newly_online();
}

bool PresenceTracker::on_event(const std::string& user, bool online, Clock::time_point) {
  heard_since_asking_[user] = online;
  if (online)
    online_.insert(user);
  else
    online_.erase(user);
  const bool shown = shown_.contains(user);
  // Coming back as they were last shown. A logout is always news: the server announces
  // one only for a user who was online in its own lifetime, perhaps after a resume it
  // did not announce (right after its restart).
  if (online == shown) return false;
  if (online)
    shown_.insert(user);
  else
    shown_.erase(user);
  return true;
}

std::vector<PresenceTracker::Change> PresenceTracker::settle(Clock::time_point now) {
  std::vector<Change> changes;
  if (settling(now)) return changes;
  for (auto it = shown_.begin(); it != shown_.end();) {
    if (online_.contains(*it)) {
      ++it;
    } else {
      changes.push_back({*it, false});
      it = shown_.erase(it);
    }
  }
  return changes;
}

}  // namespace parley::peer
