// Resumption and the presence grace: a user whose connection dropped and who comes back
// quickly (by token or password) never flaps offline/online in the others' lists.
#include <fmt/format.h>

#include "server/registry/registry.hpp"

namespace parley::server {

void Registry::admit(const std::string& user, SessionId session, const std::string& address,
                     const wire::LinkEndpoint& endpoint, std::int64_t now_ms, Effects& fx, bool announce) {
  online_[user] = session;
  user_by_session_[session] = user;
  endpoints_[user] = endpoint;
  reachable_.erase(user);  // checked again for this login
  last_seen_ms_[user] = now_ms;
  fx.bookkeeping.push_back(op::RecordLogin{user, now_ms, address});
  // What a peer held when it left is stale (files may have gone or changed meanwhile):
  // it re-announces what it still holds, checked, right after logging in.
  for (auto& write : files_.drop_holder(user)) fx.bookkeeping.push_back(std::move(write));
  // Back within the grace: nobody was told they left, so nobody is told they are back.
  if (departing_.erase(user) == 0 && announce)
    fx.sends.push_back({presence_audience(user), wire::PresenceEvent{user, true, now_ms}});
}

Effects Registry::resume(std::uint32_t request, const std::string& user, SessionId session,
                         const std::string& address, const wire::LinkEndpoint& endpoint, std::int64_t now_ms,
                         std::optional<SessionId>& replaced) {
  Effects fx;
  wire::LoginResult reply{request, wire::Status::ok, user, fmt::format("welcome back, {}", user), 0, 0};
  replaced.reset();
  if (auto it = online_.find(user); it != online_.end()) {
    if (it->second == session) {
      reply.status = wire::Status::already_online;
      reply.message = "you are already logged in";
      fx.reply = reply;
      return fx;
    }
    // The old connection is dead but not noticed yet: hand its place over without a word
    // to the others, and end its history row as a takeover.
    replaced = it->second;
    user_by_session_.erase(it->second);
    drop_pending_links(it->second, user, fx);
    fx.bookkeeping.push_back(op::RecordLogout{user, now_ms, "replaced by a resumed session"});
    online_.erase(it);
  }
  const bool announce = !replaced && now_ms >= settings_.quiet_resumes_until_ms;
  admit(user, session, address, endpoint, now_ms, fx, announce);
  fx.reply = reply;
  return fx;
}

Effects Registry::connection_lost(SessionId session, const std::string& reason, std::int64_t now_ms) {
  const std::string* user = user_of(session);
  if (!user || settings_.presence_grace_ms <= 0) return logout(session, reason, now_ms, true);
  const std::string name = *user;
  Effects fx = logout(session, reason, now_ms, false);
  departing_[name] = now_ms;
  return fx;
}

Effects Registry::announce_departures(std::int64_t now_ms) {
  Effects fx;
  for (auto it = departing_.begin(); it != departing_.end();) {
    if (it->second + settings_.presence_grace_ms > now_ms) {
      ++it;
      continue;
    }
    if (!online_.contains(it->first))
      fx.sends.push_back({presence_audience(it->first), wire::PresenceEvent{it->first, false, it->second}});
    it = departing_.erase(it);
  }
  return fx;
}

}  // namespace parley::server
