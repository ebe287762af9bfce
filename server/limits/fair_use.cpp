#include "server/limits/fair_use.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>

namespace parley::server::limits {
namespace {

std::string seconds(std::int64_t ms) { return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0); }

Refusal slow_down(const char* what, const std::string& limit, std::int64_t wait_ms) {
  return {wait_ms, fmt::format("too many {}: at most {}; try again in {}", what, limit, seconds(wait_ms))};
}

// Requests that spend one of the user's rate buckets.
bool rated(const wire::Message& request) {
  return std::holds_alternative<wire::SendMessage>(request) ||
         std::holds_alternative<wire::Broadcast>(request) ||
         std::holds_alternative<wire::StartPrivate>(request);
}

}  // namespace

FairUse::User& FairUse::state(const std::string& user) {
  auto [it, inserted] = users_.try_emplace(user);
  if (inserted) {
    const auto& s = settings_;
    it->second.messages = TokenBucket(s.messages_per_second, s.message_burst);
    it->second.broadcasts = TokenBucket(s.broadcasts_per_second, s.broadcast_burst);
    it->second.recipients = TokenBucket(s.recipients_per_minute / 60.0, s.recipients_per_minute);
    it->second.links = TokenBucket(s.link_requests_per_minute / 60.0, s.link_requests_per_minute);
  }
  return it->second;
}

bool FairUse::applies_to(const wire::Message& request) const {
  return std::holds_alternative<wire::RegisterFile>(request) || (settings_.rate_limits && rated(request));
}

std::optional<Refusal> FairUse::check(const std::string& user, const wire::Message& request, Owned owned,
                                      std::int64_t now_ms) {
  std::optional<Refusal> refusal;
  if (auto* reg = std::get_if<wire::RegisterFile>(&request)) refusal = check_quota(*reg, owned);
  if (!refusal && settings_.rate_limits) {
    if (!rated(request)) return std::nullopt;
    refusal = check_rates(state(user), request, now_ms);
  }
  if (!refusal) return std::nullopt;
  return counted(state(user), std::move(*refusal), now_ms);
}

std::optional<Refusal> FairUse::check_rates(User& u, const wire::Message& request,
                                            std::int64_t now_ms) const {
  const auto& s = settings_;
  if (auto* m = std::get_if<wire::SendMessage>(&request)) {
    const double n = static_cast<double>(std::max<std::size_t>(m->to.size(), 1));
    // Both buckets or neither: a refused message must not cost anything.
    if (auto wait = u.messages.wait_ms(now_ms); wait > 0)
      return slow_down("messages", fmt::format("{} a second", s.messages_per_second), wait);
    if (auto wait = u.recipients.wait_ms(now_ms, n); wait > 0)
      return slow_down("recipients", fmt::format("{} a minute", s.recipients_per_minute), wait);
    u.messages.take(now_ms);
    u.recipients.take(now_ms, n);
  } else if (std::holds_alternative<wire::Broadcast>(request)) {
    if (!u.broadcasts.take(now_ms))
      return slow_down("broadcasts", fmt::format("{} a second", s.broadcasts_per_second),
                       u.broadcasts.wait_ms(now_ms));
  } else if (std::holds_alternative<wire::StartPrivate>(request)) {
    if (!u.links.take(now_ms))
      return slow_down("private link requests", fmt::format("{} a minute", s.link_requests_per_minute),
                       u.links.wait_ms(now_ms));
  }
  return std::nullopt;
}

std::optional<Refusal> FairUse::check_quota(const wire::RegisterFile& request, Owned owned) const {
  const auto& s = settings_;
  if (owned.files + 1 > s.max_files_per_user)
    return Refusal{0, fmt::format("you have registered {} files, the most one user may", owned.files)};
  if (owned.chunks + request.chunk_count > s.max_chunks_per_user)
    return Refusal{0, fmt::format("your files would have {} chunks in all, over the {} one user may",
                                  owned.chunks + request.chunk_count, s.max_chunks_per_user)};
  return std::nullopt;
}

Refusal FairUse::counted(User& u, Refusal refusal, std::int64_t now_ms) const {
  if (now_ms - u.window_start_ms > settings_.abuse_window_ms) {
    u.window_start_ms = now_ms;
    u.refusals = 0;
  }
  ++u.refusals;
  refusal.kick = settings_.refusals_before_kick > 0 && u.refusals >= settings_.refusals_before_kick;
  return refusal;
}

void FairUse::prune(std::int64_t now_ms) {
  for (auto it = users_.begin(); it != users_.end();) {
    User& u = it->second;
    const bool at_rest = now_ms - u.window_start_ms > settings_.abuse_window_ms && u.messages.full(now_ms) &&
                         u.broadcasts.full(now_ms) && u.recipients.full(now_ms) && u.links.full(now_ms);
    it = at_rest ? users_.erase(it) : std::next(it);
  }
}

wire::Message refusal_reply(const wire::Message& request, const Refusal& refusal) {
  return std::visit(
      [&](const auto& m) -> wire::Message {
        std::uint32_t id = 0;
        if constexpr (requires { m.request; }) id = m.request;
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, wire::StartPrivate>) {
          wire::LinkOffer offer;
          offer.request = id;
          offer.status = wire::Status::rate_limited;
          offer.message = refusal.message;
          offer.user = m.user;
          offer.purpose = m.purpose;
          return offer;
        }
        return wire::Result{id, wire::Status::rate_limited, refusal.message};
      },
      request);
}

}  // namespace parley::server::limits
