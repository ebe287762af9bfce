// What the peer's message store keeps, as plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::peer {

// One line of the conversation history.
struct StoredMessage {
  std::int64_t row = 0;  // set by the store: the order lines were added in
  std::string msg_id;
  // "message" (private or group through the server), "broadcast", "announcement",
  // "private" (over a direct link).
  std::string kind;
  std::string from;             // sender; "" for announcements
  std::vector<std::string> to;  // recipients, ourselves included when received; empty for broadcasts
  std::string text;
  bool action = false;  // "/me"
  bool mine = false;    // we sent it
  std::int64_t time_ms = 0;
  // Mine: queued | sent | stored | delivered | not_delivered | refused; theirs: received. Mine
  // with recipients whose states differ: "mixed", and `to_state` says who is where.
  std::string state;
  std::vector<std::string> to_state;  // mine: each recipient's state, parallel to `to`
};

// Our message from the moment it is typed until the server answers for it (stored,
// delivered or refused): resent with the same id after a lost connection or a restart.
struct QueuedMessage {
  std::string msg_id;
  std::vector<std::string> to;
  std::string text;  // as it goes on the wire
  std::int64_t time_ms = 0;
};

// A message already shown: its redelivery is acknowledged but not shown again. Keyed by
// sender too: ids are chosen by senders, so one sender must not be able to hide
// another's message by reusing its id.
struct SeenId {
  std::string from;
  std::string msg_id;
  std::int64_t time_ms = 0;  // when it was shown
};

}  // namespace parley::peer
