#include "relay/pairing.hpp"

#include <fmt/format.h>

namespace parley::relay {

std::size_t Pairing::halves_of(const std::string& user) const {
  auto it = per_user_.find(user);
  return it == per_user_.end() ? 0 : it->second;
}

std::optional<std::string> Pairing::cap_reached(const std::string& user, bool completes_pair) const {
  if (halves_of(user) >= limits_.max_per_user)
    return fmt::format("the relay is full for {}: {} relayed connections at once is its limit per user", user,
                       limits_.max_per_user);
  if (links_ >= limits_.max_links)
    return fmt::format("the relay is full: {} relayed links at once is its limit", limits_.max_links);
  if (!completes_pair && waiting_.size() >= limits_.max_waiting)
    return fmt::format("the relay is full: {} connections waiting for their partner is its limit",
                       limits_.max_waiting);
  return std::nullopt;
}

Pairing::Admission Pairing::refuse(const std::string& pair, std::int64_t until_ms, std::string reason) {
  Admission out{Admission::Kind::refused, reason, 0};
  refused_[pair] = {std::move(reason), until_ms};
  if (auto w = waiting_.find(pair); w != waiting_.end()) {
    out.partner = w->second;  // told the same, and closed by the caller (release)
    waiting_.erase(w);
  }
  return out;
}

Pairing::Admission Pairing::admit(HalfId half, const Ticket& ticket, std::int64_t now_ms) {
  forget_old(now_ms);
  const auto side = std::make_pair(ticket.pair, ticket.side);
  if (used_.contains(side)) return {Admission::Kind::refused, "this relay ticket was already used", 0};
  used_[side] = ticket.expires_ms;
  if (auto r = refused_.find(ticket.pair); r != refused_.end())
    return {Admission::Kind::refused, r->second.first, 0};
  auto waiting = waiting_.find(ticket.pair);
  const bool completes = waiting != waiting_.end();
  if (auto why = cap_reached(ticket.user, completes)) return refuse(ticket.pair, ticket.expires_ms, *why);
  halves_[half] = Half{ticket.user, ticket.pair, completes, now_ms};
  ++per_user_[ticket.user];
  if (!completes) {
    waiting_[ticket.pair] = half;
    return {Admission::Kind::waiting, {}, 0};
  }
  const HalfId partner = waiting->second;
  waiting_.erase(waiting);
  halves_[partner].paired = true;
  ++links_;
  return {Admission::Kind::paired, {}, partner};
}

void Pairing::release(HalfId half) {
  auto it = halves_.find(half);
  if (it == halves_.end()) return;
  const Half& h = it->second;
  if (auto w = waiting_.find(h.pair); w != waiting_.end() && w->second == half) waiting_.erase(w);
  if (h.paired) {
    // The link ends with its first half to go; the second must not count it again.
    for (auto& [id, other] : halves_)
      if (id != half && other.pair == h.pair && other.paired) other.paired = false;
    --links_;
  }
  if (--per_user_[h.user] == 0) per_user_.erase(h.user);
  halves_.erase(it);
}

std::vector<Pairing::HalfId> Pairing::expire(std::int64_t now_ms) {
  std::vector<HalfId> late;
  for (const auto& [pair, half] : waiting_)
    if (now_ms - halves_[half].since_ms >= limits_.unpaired_ms) late.push_back(half);
  for (auto half : late) release(half);
  forget_old(now_ms);
  return late;
}

void Pairing::forget_old(std::int64_t now_ms) {
  std::erase_if(used_, [&](const auto& entry) { return entry.second <= now_ms; });
  std::erase_if(refused_, [&](const auto& entry) { return entry.second.second <= now_ms; });
}

}  // namespace parley::relay
