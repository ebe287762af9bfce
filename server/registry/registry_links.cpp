// Registry: brokering direct links between online peers.
#include <fmt/format.h>

#include "server/registry/registry.hpp"

namespace parley::server {
namespace {

using wire::Status;

// A flood of requests must not become a flood of work for the targets.
constexpr std::size_t kMaxPendingLinksPerUser = 4;

}  // namespace

// Link requests waiting on this user cannot be answered any more.
void Registry::drop_pending_links(SessionId session, const std::string& user, Effects& fx) {
  for (auto p = pending_links_.begin(); p != pending_links_.end();) {
    if (p->second.requester == session) {
      p = pending_links_.erase(p);
    } else if (p->second.target == user) {
      wire::LinkOffer refusal{
          p->second.request, Status::offline, fmt::format("{} logged out", user), user, {}, {}};
      fx.sends.push_back({{p->second.requester}, std::move(refusal)});
      p = pending_links_.erase(p);
    } else {
      ++p;
    }
  }
}

Effects Registry::start_private(SessionId session, const wire::StartPrivate& request,
                                const std::string& token, std::int64_t now_ms) {
  Effects fx;
  auto refuse = [&](Status status, std::string message) {
    fx.reply =
        wire::LinkOffer{request.request, status, std::move(message), request.user, {}, {}, request.purpose};
    return fx;
  };
  const std::string* me = user_of(session);
  if (!me) return refuse(Status::not_logged_in, "log in first");
  const std::string& target = request.user;
  if (target == *me) return refuse(Status::yourself, "you cannot open a private link with yourself");
  if (!account_exists(target)) return refuse(Status::unknown_user, fmt::format("unknown user '{}'", target));
  if (has_blocked(target, *me)) return refuse(Status::blocked, fmt::format("{} has blocked you", target));
  if (has_blocked(*me, target))
    return refuse(Status::blocked, fmt::format("you have blocked {}; unblock them first", target));
  auto target_session = session_of(target);
  if (!target_session) return refuse(Status::offline, fmt::format("{} is offline", target));
  const auto& their_endpoint = endpoints_[target];
  if (their_endpoint.host.empty() || their_endpoint.fingerprint.empty())
    return refuse(Status::unavailable, fmt::format("{} does not accept direct links", target));
  const auto& my_endpoint = endpoints_[*me];
  if (my_endpoint.fingerprint.empty())
    return refuse(Status::bad_request, "your client did not give its certificate fingerprint at login");
  // A flood of requests must not become a flood of work for the target: one pending
  // request per pair and purpose, and a few per requester.
  std::size_t mine = 0;
  for (const auto& [t, p] : pending_links_) {
    if (p.requester != session) continue;
    if (p.target == target && p.purpose == request.purpose)
      return refuse(Status::unavailable, fmt::format("a link with {} is already being set up", target));
    ++mine;
  }
  if (mine >= kMaxPendingLinksPerUser)
    return refuse(Status::unavailable, "too many links being set up; wait for an answer first");
  const auto path = choose_path(*me, target);
  if (path == wire::LinkPath::reverse) return start_reverse(session, *target_session, request, token);
  pending_links_[token] =
      PendingLink{session, request.request, target, now_ms + settings_.link_answer_ms, request.purpose, path};
  fx.sends.push_back(
      {{*target_session}, wire::LinkRequest{token, *me, my_endpoint.fingerprint, request.purpose, path}});
  return fx;
}

// The target is behind NAT and the requester is not: the target dials the requester.
// The requester hears first (and expects the dial) before the target is asked: the
// server sends the two in that order, and the dial needs several round trips more.
Effects Registry::start_reverse(SessionId session, SessionId target_session,
                                const wire::StartPrivate& request, const std::string& token) {
  Effects fx;
  const std::string& me = *user_of(session);
  wire::LinkOffer offer{request.request, Status::ok, {}, request.user, {}, token, request.purpose};
  offer.endpoint.fingerprint = endpoints_[request.user].fingerprint;  // whom to expect
  offer.path = wire::LinkPath::reverse;
  fx.sends.push_back({{session}, std::move(offer)});
  const auto& mine = endpoints_[me];
  fx.sends.push_back(
      {{target_session},
       wire::LinkRequest{token, me, mine.fingerprint, request.purpose, wire::LinkPath::reverse, mine}});
  return fx;
}

std::optional<bool> Registry::reachable(const std::string& user) const {
  auto it = reachable_.find(user);
  if (it == reachable_.end()) return std::nullopt;
  return it->second;
}

const wire::LinkEndpoint* Registry::endpoint_of(const std::string& user) const {
  auto it = endpoints_.find(user);
  return it == endpoints_.end() ? nullptr : &it->second;
}

// Direct whenever the target may be reachable (not checked yet counts: that was the
// only path before the checks); else the target dials a reachable requester; else both
// meet at the relay; with no relay, direct is tried anyway.
wire::LinkPath Registry::choose_path(const std::string& requester, const std::string& target) const {
  if (settings_.force_path && (*settings_.force_path != wire::LinkPath::relay || settings_.relay))
    return *settings_.force_path;
  if (reachable(target).value_or(true)) return wire::LinkPath::direct;
  if (reachable(requester).value_or(false)) return wire::LinkPath::reverse;
  return settings_.relay ? wire::LinkPath::relay : wire::LinkPath::direct;
}

Effects Registry::answer_link(SessionId session, const wire::LinkAnswer& answer) {
  Effects fx;
  auto it = pending_links_.find(answer.token);
  const std::string* me = user_of(session);
  // Only the user who was asked can answer; anything else is ignored (and harmless).
  if (it == pending_links_.end() || !me || it->second.target != *me) return fx;
  PendingLink pending = std::move(it->second);
  pending_links_.erase(it);
  wire::LinkOffer offer{pending.request, Status::ok, {}, *me, {}, {}, pending.purpose, pending.path};
  // A block may have come in while the target was getting ready.
  const std::string* requester = user_of(pending.requester);
  if (requester && (has_blocked(*me, *requester) || has_blocked(*requester, *me))) {
    offer.status = Status::blocked;
    offer.message = has_blocked(*me, *requester)
                        ? fmt::format("{} has blocked you", *me)
                        : fmt::format("you have blocked {}; unblock them first", *me);
  } else if (answer.accept) {
    offer.endpoint = endpoints_[*me];
    offer.token = answer.token;
  } else {
    offer.status = Status::unavailable;
    offer.message = answer.reason.empty() ? fmt::format("{} declined", *me) : answer.reason;
  }
  fx.sends.push_back({{pending.requester}, std::move(offer)});
  return fx;
}

Effects Registry::expire_link_requests(std::int64_t now_ms) {
  Effects fx;
  for (auto it = pending_links_.begin(); it != pending_links_.end();) {
    if (it->second.expires_ms > now_ms) {
      ++it;
      continue;
    }
    wire::LinkOffer refusal{it->second.request,
                            Status::unavailable,
                            fmt::format("{} did not answer", it->second.target),
                            it->second.target,
                            {},
                            {},
                            it->second.purpose};
    fx.sends.push_back({{it->second.requester}, std::move(refusal)});
    it = pending_links_.erase(it);
  }
  return fx;
}

}  // namespace parley::server
