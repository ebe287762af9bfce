#include "peer/engine/delivery.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "shared/wire/limits.hpp"

namespace parley::peer {

Arrival on_arrival(bool seen_before, std::int64_t seq) { return {!seen_before, seq > 0}; }

bool AckBatch::add(std::int64_t seq) {
  seqs_.push_back(seq);
  return seqs_.size() == 1;
}

std::vector<wire::AckOffline> AckBatch::take() {
  std::vector<wire::AckOffline> frames;
  std::unordered_set<std::int64_t> taken;
  for (const auto seq : std::exchange(seqs_, {})) {
    if (!taken.insert(seq).second) continue;
    if (frames.empty() || frames.back().seqs.size() == kMaxPerFrame) frames.emplace_back();
    frames.back().seqs.push_back(seq);
  }
  return frames;
}

std::string_view delivery_name(Delivery state) {
  switch (state) {
    case Delivery::queued:
      return "queued";
    case Delivery::sent:
      return "sent";
    case Delivery::stored:
      return "stored";
    case Delivery::delivered:
      return "delivered";
    case Delivery::refused:
      return "refused";
  }
  return "refused";
}

Delivery delivery_of(wire::Status status) {
  if (status == wire::Status::ok) return Delivery::delivered;
  if (status == wire::Status::stored_offline) return Delivery::stored;
  return Delivery::refused;
}

bool advances(Delivery from, Delivery to) {
  const bool unanswered = from == Delivery::queued || from == Delivery::sent;
  switch (to) {
    case Delivery::queued:
    case Delivery::sent:
    case Delivery::refused:
      return unanswered && from != to;
    case Delivery::stored:
      return unanswered;
    case Delivery::delivered:
      return unanswered || from == Delivery::stored;
  }
  return false;
}

void ReceiptTracker::track(const std::string& msg_id, const std::vector<std::string>& to, Delivery state,
                           std::string text) {
  Tracked& tracked = entry(msg_id);
  tracked.text = std::move(text);
  tracked.recipients.clear();
  for (const auto& user : to) tracked.recipients.emplace_back(wire::folded_username(user), state);
}

bool ReceiptTracker::update(const std::string& msg_id, const std::string& user, Delivery state) {
  Tracked& tracked = entry(msg_id);
  const std::string folded = wire::folded_username(user);
  auto it = std::find_if(tracked.recipients.begin(), tracked.recipients.end(),
                         [&](const auto& r) { return r.first == folded; });
  if (it == tracked.recipients.end()) {
    tracked.recipients.emplace_back(folded, state);
    return true;
  }
  if (!advances(it->second, state)) return false;
  it->second = state;
  return true;
}

std::optional<Delivery> ReceiptTracker::state(const std::string& msg_id, const std::string& user) const {
  auto found = messages_.find(msg_id);
  if (found == messages_.end()) return std::nullopt;
  const std::string folded = wire::folded_username(user);
  for (const auto& [name, state] : found->second.recipients)
    if (name == folded) return state;
  return std::nullopt;
}

std::string ReceiptTracker::text(const std::string& msg_id) const {
  auto found = messages_.find(msg_id);
  return found == messages_.end() ? std::string() : found->second.text;
}

ReceiptTracker::Tracked& ReceiptTracker::entry(const std::string& msg_id) {
  auto [it, inserted] = messages_.try_emplace(msg_id);
  if (!inserted) return it->second;
  order_.push_back(msg_id);
  while (order_.size() > capacity_) {
    messages_.erase(order_.front());
    order_.pop_front();
  }
  return messages_.at(msg_id);  // the new entry is the newest: never the one evicted
}

}  // namespace parley::peer
