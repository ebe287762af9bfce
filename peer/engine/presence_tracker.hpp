// Which presence changes are worth telling the user. When the registry restarts, every
// peer's session ends and comes back: shown as it happens, that is a wall of "logged
// out" / "logged in" lines about people who never left. The tracker remembers what the
// user was last shown and, once the peers have had time to come back, tells only what
// really changed. Pure: the caller passes the time.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace parley::peer {

class PresenceTracker {
 public:
  using Clock = std::chrono::steady_clock;
  struct Change {
    std::string user;
    bool online = false;
    bool operator==(const Change&) const = default;
  };
  // How long after a reconnection the peers of a restarted server are waited for.
  static constexpr auto kSettle = std::chrono::seconds(20);

  // A list of who is online is being asked for: events read before its answer is used
  // are newer than it (the answer wakes its reader only after they were handled).
  void asking();
  // The first list after the first login: nothing to tell.
  void reset(const std::vector<std::string>& online);
  // Logged in again after the registry was away. Returns whoever is online now and was
  // not before (they logged in while we were away); who left is told by settle().
  std::vector<Change> back(const std::vector<std::string>& online, Clock::time_point now);
  // Who is online now, asked again before settling (the server does not announce the
  // peers that resume right after its restart): returns who is online and not shown.
  std::vector<Change> refresh(const std::vector<std::string>& online);
  // A presence event from the server: true if it should be shown.
  bool on_event(const std::string& user, bool online, Clock::time_point now);
  // Once settling is over (Clock >= settle_deadline()): whoever was shown online and has
  // not come back.
  std::vector<Change> settle(Clock::time_point now);

  bool settling(Clock::time_point now) const { return now < settle_until_; }
  Clock::time_point settle_deadline() const { return settle_until_; }
  const std::set<std::string>& online() const { return online_; }

 private:
  std::set<std::string> online_;                    // as the server says now
  std::set<std::string> shown_;                     // as the user was last told
  std::map<std::string, bool> heard_since_asking_;  // user -> online, from events

  // Takes `online` as the server's list, except for those heard of since it was asked.
  void take_list(const std::vector<std::string>& online);
  std::vector<Change> newly_online();
  Clock::time_point settle_until_{};
};

}  // namespace parley::peer
