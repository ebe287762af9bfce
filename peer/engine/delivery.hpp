// The bookkeeping of end-to-end acknowledgements, without sockets or disk: which
// received messages to show and acknowledge, how acknowledgements are batched into
// frames, and where each recipient of our own messages stands (queued, sent, stored on
// the server's disk, delivered to their peer, or refused).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shared/wire/messages.hpp"

namespace parley::peer {

// What to do with a ChatEvent: a redelivery (the same sender and id shown before) is
// acknowledged again, because the server did not see the first acknowledgement, but
// never shown twice.
struct Arrival {
  bool show = false;
  bool acknowledge = false;
};
Arrival on_arrival(bool seen_before, std::int64_t seq);

// Acknowledgements waiting to be sent: one flush per loop pass, in frames the server
// accepts (at most kMaxPerFrame sequence numbers each).
class AckBatch {
 public:
  static constexpr std::size_t kMaxPerFrame = 256;
  // True for the first sequence number since the last take(): schedule one flush.
  bool add(std::int64_t seq);
  // Everything added since the last take(), each number once, in the order added.
  std::vector<wire::AckOffline> take();
  bool empty() const { return seqs_.empty(); }

 private:
  std::vector<std::int64_t> seqs_;
};

// Where one recipient of our message stands. Only stored and delivered are receipts a
// user is told about; queued and sent mean the server has not answered yet.
enum class Delivery { queued, sent, stored, delivered, refused };
std::string_view delivery_name(Delivery state);
Delivery delivery_of(wire::Status status);  // a SendResult's per-recipient status
// Forward only: queued and sent may alternate (a connection lost before the answer),
// stored leads to delivered, and delivered and refused are final.
bool advances(Delivery from, Delivery to);

// Our recent messages and each recipient's state, so a receipt is reported once, when it
// moves the state forward. Bounded: the oldest messages are forgotten first.
class ReceiptTracker {
 public:
  explicit ReceiptTracker(std::size_t capacity = 4096) : capacity_(capacity > 0 ? capacity : 1) {}
  // A message of ours with its recipients, all in `state`; `text` for a front end to quote.
  void track(const std::string& msg_id, const std::vector<std::string>& to, Delivery state, std::string text);
  // True if `user`'s state for `msg_id` moved. A message or recipient not tracked (sent
  // before a restart, or forgotten) moves to any state.
  bool update(const std::string& msg_id, const std::string& user, Delivery state);
  std::optional<Delivery> state(const std::string& msg_id, const std::string& user) const;
  std::string text(const std::string& msg_id) const;  // "" when not tracked
  std::size_t size() const { return messages_.size(); }

 private:
  struct Tracked {
    std::string text;
    std::vector<std::pair<std::string, Delivery>> recipients;  // folded names
  };
  Tracked& entry(const std::string& msg_id);

  std::size_t capacity_;
  std::unordered_map<std::string, Tracked> messages_;
  std::deque<std::string> order_;  // oldest first
};

}  // namespace parley::peer
