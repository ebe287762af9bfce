#include "server/registry/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "shared/wire/limits.hpp"

namespace parley::server {

using wire::Status;

Registry::Registry(std::set<std::string, std::less<>> accounts, RegistrySettings settings)
    : accounts_(std::move(accounts)),
      settings_(settings),
      mailbox_(settings.ack_grace_ms, settings.mailbox_quota) {}

wire::Result Registry::reply_result(std::uint32_t request, Status status, std::string message) {
  return wire::Result{request, status, std::move(message)};
}

Effects Registry::refusal(std::uint32_t request, Status status, std::string message) {
  Effects fx;
  fx.reply = reply_result(request, status, std::move(message));
  return fx;
}

void Registry::restore(const PersistedState& state) {
  for (const auto& [blocker, blocked] : state.blocks) blocks_[blocker].insert(blocked);
  for (const auto& [user, until] : state.locked_until_ms) locked_until_ms_[user] = until;
  for (const auto& [user, at] : state.last_seen_ms) last_seen_ms_[user] = at;
  files_.restore(state);
  mailbox_.restore(state);
}

const std::string* Registry::user_of(SessionId session) const {
  auto it = user_by_session_.find(session);
  return it == user_by_session_.end() ? nullptr : &it->second;
}

std::optional<SessionId> Registry::session_of(const std::string& user) const {
  auto it = online_.find(user);
  if (it == online_.end()) return std::nullopt;
  return it->second;
}

bool Registry::has_blocked(const std::string& blocker, const std::string& blocked) const {
  auto it = blocks_.find(blocker);
  return it != blocks_.end() && it->second.contains(blocked);
}

std::vector<SessionId> Registry::presence_audience(const std::string& subject) const {
  std::vector<SessionId> audience;
  audience.reserve(online_.size());
  for (const auto& [user, session] : online_)
    if (user != subject && !has_blocked(subject, user)) audience.push_back(session);
  return audience;
}

std::optional<wire::LoginResult> Registry::check_login_allowed(const std::string& user,
                                                               std::int64_t now_ms) const {
  wire::LoginResult refusal;
  refusal.user = user;
  if (!account_exists(user)) {
    refusal.status = Status::unknown_user;
    refusal.message = fmt::format("unknown user '{}'", user);
    return refusal;
  }
  if (auto it = locked_until_ms_.find(user); it != locked_until_ms_.end() && it->second > now_ms) {
    refusal.status = Status::locked;
    refusal.retry_after_s = (it->second - now_ms + 999) / 1000;
    refusal.message = fmt::format("account locked after {} failed logins; try again in {} s",
                                  settings_.max_failures, refusal.retry_after_s);
    return refusal;
  }
  if (online_.contains(user)) {
    refusal.status = Status::already_logged_in;
    refusal.message = fmt::format("'{}' is already logged in elsewhere", user);
    return refusal;
  }
  return std::nullopt;
}

Effects Registry::finish_login(std::uint32_t request, const std::string& user, bool password_ok,
                               SessionId session, const std::string& address,
                               const wire::LinkEndpoint& endpoint, std::int64_t now_ms) {
  Effects fx;
  // The state may have changed while the password was being checked.
  if (auto refusal = check_login_allowed(user, now_ms)) {
    refusal->request = request;
    fx.reply = *refusal;
    return fx;
  }
  wire::LoginResult reply;
  reply.request = request;
  reply.user = user;
  if (!password_ok) {
    int failures = ++failures_[user];
    if (failures >= settings_.max_failures) {
      failures_.erase(user);
      std::int64_t until = now_ms + settings_.block_duration_ms;
      locked_until_ms_[user] = until;
      fx.writes.push_back(op::SetLock{user, until});
      reply.status = Status::locked;
      reply.retry_after_s = (settings_.block_duration_ms + 999) / 1000;
      reply.message = fmt::format("wrong password {} times: account locked for {} s", settings_.max_failures,
                                  reply.retry_after_s);
    } else {
      reply.status = Status::wrong_password;
      reply.attempts_left = static_cast<std::uint32_t>(settings_.max_failures - failures);
      reply.message = fmt::format("wrong password ({} attempt{} left)", reply.attempts_left,
                                  reply.attempts_left == 1 ? "" : "s");
    }
    fx.reply = reply;
    return fx;
  }
  failures_.erase(user);
  if (locked_until_ms_.erase(user)) fx.bookkeeping.push_back(op::SetLock{user, 0});
  admit(user, session, address, endpoint, now_ms, fx);
  reply.status = Status::ok;
  reply.message = fmt::format("welcome, {}", user);
  fx.reply = reply;
  return fx;
}

std::string Registry::sign_up_refusal(std::string_view name) const {
  static constexpr std::string_view kReserved[] = {"admin",  "server",   "root",
                                                   "system", "operator", "moderator"};
  if (!wire::is_valid_username(name) || !std::isalnum(static_cast<unsigned char>(name.front())))
    return "a user name is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit";
  const std::string folded = wire::folded_username(name);
  for (auto reserved : kReserved)
    if (folded == reserved) return fmt::format("'{}' is reserved", name);
  // "Alice" next to "alice" would let one pass for the other.
  for (const auto& account : accounts_)
    if (wire::folded_username(account) == folded) return fmt::format("'{}' is taken", name);
  return {};
}

Effects Registry::logout(SessionId session, const std::string& reason, std::int64_t now_ms, bool announce) {
  Effects fx;
  auto it = user_by_session_.find(session);
  if (it == user_by_session_.end()) return fx;
  std::string user = std::move(it->second);
  user_by_session_.erase(it);
  mailbox_.session_ended(session);  // what it did not acknowledge is written now
  online_.erase(user);
  endpoints_.erase(user);
  reachable_.erase(user);
  drop_pending_links(session, user, fx);
  last_seen_ms_[user] = now_ms;
  fx.bookkeeping.push_back(op::RecordLogout{user, now_ms, reason});
  if (announce) fx.sends.push_back({presence_audience(user), wire::PresenceEvent{user, false, now_ms}});
  return fx;
}

wire::UserList Registry::who_else(SessionId session, std::uint32_t request) const {
  wire::UserList list;
  list.request = request;
  const std::string* me = user_of(session);
  if (!me) return list;
  for (const auto& [user, _] : online_)
    if (user != *me && !has_blocked(user, *me)) list.users.push_back(user);
  std::sort(list.users.begin(), list.users.end());
  return list;
}

wire::UserList Registry::who_else_since(SessionId session, std::uint32_t request, std::int64_t seconds,
                                        std::int64_t now_ms) const {
  wire::UserList list;
  list.request = request;
  const std::string* me = user_of(session);
  if (!me) return list;
  // Clamp so a huge number of seconds means "ever" instead of overflowing.
  std::int64_t window_ms = seconds > now_ms / 1000 ? now_ms : seconds * 1000;
  std::int64_t since = now_ms - window_ms;
  std::vector<std::pair<std::string, std::int64_t>> seen;  // 0: online now
  for (const auto& [user, at] : last_seen_ms_) {
    if (user == *me || has_blocked(user, *me)) continue;
    if (online_.contains(user))
      seen.emplace_back(user, 0);
    else if (at >= since)
      seen.emplace_back(user, at);
  }
  std::sort(seen.begin(), seen.end());
  for (auto& [user, at] : seen) {
    list.users.push_back(std::move(user));
    list.last_seen_ms.push_back(at);
  }
  return list;
}

wire::UserList Registry::blocked_by(SessionId session, std::uint32_t request) const {
  wire::UserList list;
  list.request = request;
  const std::string* me = user_of(session);
  auto it = me ? blocks_.find(*me) : blocks_.end();
  if (it == blocks_.end()) return list;
  list.users.assign(it->second.begin(), it->second.end());
  std::sort(list.users.begin(), list.users.end());
  if (list.users.size() > kMaxBlockedListed) list.users.resize(kMaxBlockedListed);
  return list;
}

// The checks block and unblock share; nullopt when `target` is a fit target for `me`.
std::optional<wire::Result> Registry::check_block_target(const std::string* me, std::uint32_t request,
                                                         const std::string& target, const char* verb) const {
  if (!me) return reply_result(request, Status::not_logged_in, "log in first");
  if (target == *me)
    return reply_result(request, Status::yourself, fmt::format("you cannot {} yourself", verb));
  if (!account_exists(target))
    return reply_result(request, Status::unknown_user, fmt::format("unknown user '{}'", target));
  return std::nullopt;
}

Effects Registry::block(SessionId session, std::uint32_t request, const std::string& target) {
  Effects fx;
  const std::string* me = user_of(session);
  if (auto refusal = check_block_target(me, request, target, "block")) {
    fx.reply = *refusal;
  } else if (!blocks_[*me].insert(target).second) {
    fx.reply = reply_result(request, Status::already_blocked, fmt::format("{} is already blocked", target));
  } else {
    fx.writes.push_back(op::SetBlock{*me, target, true});
    fx.reply = reply_result(request, Status::ok, fmt::format("{} is blocked", target));
  }
  return fx;
}

Effects Registry::unblock(SessionId session, std::uint32_t request, const std::string& target) {
  Effects fx;
  const std::string* me = user_of(session);
  if (auto refusal = check_block_target(me, request, target, "unblock")) {
    fx.reply = *refusal;
  } else if (auto it = blocks_.find(*me); it == blocks_.end() || it->second.erase(target) == 0) {
    fx.reply = reply_result(request, Status::not_blocked, fmt::format("{} is not blocked", target));
  } else {
    fx.writes.push_back(op::SetBlock{*me, target, false});
    fx.reply = reply_result(request, Status::ok, fmt::format("{} is unblocked", target));
  }
  return fx;
}

}  // namespace parley::server
