#include "server/registry/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "shared/wire/limits.hpp"

namespace parley::server {
namespace {

using wire::Status;

bool blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
}

constexpr std::size_t kMaxPendingLinksPerUser = 4;

wire::Result result(std::uint32_t request, Status status, std::string message) {
  return wire::Result{request, status, std::move(message)};
}

}  // namespace

Registry::Registry(std::set<std::string, std::less<>> accounts, RegistrySettings settings)
    : accounts_(std::move(accounts)), settings_(settings) {}

void Registry::restore(const PersistedState& state) {
  for (const auto& [blocker, blocked] : state.blocks) blocks_[blocker].insert(blocked);
  for (const auto& [user, until] : state.locked_until_ms) locked_until_ms_[user] = until;
  for (const auto& [user, at] : state.last_seen_ms) last_seen_ms_[user] = at;
  files_.restore(state);
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
  online_[user] = session;
  user_by_session_[session] = user;
  endpoints_[user] = endpoint;
  last_seen_ms_[user] = now_ms;
  fx.bookkeeping.push_back(op::RecordLogin{user, now_ms, address});
  // What a peer held when it left is stale (files may have gone or changed meanwhile):
  // it re-announces what it still holds, checked, right after logging in.
  for (auto& write : files_.drop_holder(user)) fx.bookkeeping.push_back(std::move(write));
  fx.sends.push_back({presence_audience(user), wire::PresenceEvent{user, true, now_ms}});
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

Effects Registry::logout(SessionId session, const std::string& reason, std::int64_t now_ms) {
  Effects fx;
  auto it = user_by_session_.find(session);
  if (it == user_by_session_.end()) return fx;
  std::string user = std::move(it->second);
  user_by_session_.erase(it);
  online_.erase(user);
  endpoints_.erase(user);
  // Link requests waiting on this user cannot be answered any more.
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
  last_seen_ms_[user] = now_ms;
  fx.bookkeeping.push_back(op::RecordLogout{user, now_ms, reason});
  fx.sends.push_back({presence_audience(user), wire::PresenceEvent{user, false, now_ms}});
  return fx;
}

Effects Registry::send_message(SessionId session, wire::SendMessage&& request, std::int64_t now_ms) {
  Effects fx;
  const std::string* from = user_of(session);
  if (!from) {
    fx.reply = result(request.request, Status::not_logged_in, "log in first");
    return fx;
  }
  if (request.to.empty()) {
    fx.reply = result(request.request, Status::bad_request, "no recipient");
    return fx;
  }
  if (blank(request.text)) {
    fx.reply = result(request.request, Status::empty_text, "message text is empty");
    return fx;
  }
  // This runs for every relayed message: it points into `request` rather than copying
  // names, and finds repeated names by scanning (at most kMaxRecipients of them).
  wire::SendResult reply;
  reply.request = request.request;
  reply.recipients.reserve(request.to.size());
  std::vector<const std::string*> accepted;  // shown to each recipient of a group message
  std::vector<SessionId> online_recipients;
  std::vector<const std::string*> offline_recipients;
  for (auto to = request.to.begin(); to != request.to.end(); ++to) {
    if (std::find(request.to.begin(), to, *to) != to) continue;
    Status status;
    if (!account_exists(*to)) {
      status = Status::unknown_user;
    } else if (*to == *from) {
      status = Status::yourself;
    } else if (has_blocked(*to, *from)) {
      status = Status::blocked;
    } else if (auto target = session_of(*to)) {
      status = Status::ok;
      online_recipients.push_back(*target);
      accepted.push_back(&*to);
    } else {
      status = Status::stored_offline;
      offline_recipients.push_back(&*to);
      accepted.push_back(&*to);
    }
    reply.recipients.push_back({*to, status});
  }
  std::vector<std::string> group;
  if (accepted.size() > 1)
    for (const std::string* name : accepted) group.push_back(*name);
  for (const std::string* to : offline_recipients) {
    fx.writes.push_back(
        op::PutOffline{StoredMessage{0, request.msg_id, *from, *to, group, request.text, now_ms}});
  }
  if (!online_recipients.empty()) {
    fx.sends.push_back(
        {std::move(online_recipients), wire::ChatEvent{std::move(request.msg_id), *from, std::move(group),
                                                       std::move(request.text), now_ms, 0}});
  }
  fx.reply = std::move(reply);
  return fx;
}

Effects Registry::broadcast(SessionId session, const wire::Broadcast& request, std::int64_t now_ms) {
  Effects fx;
  const std::string* from = user_of(session);
  if (!from) {
    fx.reply = result(request.request, Status::not_logged_in, "log in first");
    return fx;
  }
  if (blank(request.text)) {
    fx.reply = result(request.request, Status::empty_text, "message text is empty");
    return fx;
  }
  wire::BroadcastResult reply;
  reply.request = request.request;
  std::vector<SessionId> audience;
  audience.reserve(online_.size());
  for (const auto& [user, target] : online_) {
    if (user == *from) continue;
    if (has_blocked(user, *from)) {
      reply.some_skipped = true;
      continue;
    }
    audience.push_back(target);
  }
  reply.delivered = static_cast<std::uint32_t>(audience.size());
  if (!audience.empty())
    fx.sends.push_back(
        {std::move(audience), wire::BroadcastEvent{request.msg_id, *from, request.text, now_ms}});
  fx.reply = reply;
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

// The checks block and unblock share; nullopt when `target` is a fit target for `me`.
std::optional<wire::Result> Registry::check_block_target(const std::string* me, std::uint32_t request,
                                                         const std::string& target, const char* verb) const {
  if (!me) return result(request, Status::not_logged_in, "log in first");
  if (target == *me) return result(request, Status::yourself, fmt::format("you cannot {} yourself", verb));
  if (!account_exists(target))
    return result(request, Status::unknown_user, fmt::format("unknown user '{}'", target));
  return std::nullopt;
}

Effects Registry::block(SessionId session, std::uint32_t request, const std::string& target) {
  Effects fx;
  const std::string* me = user_of(session);
  if (auto refusal = check_block_target(me, request, target, "block")) {
    fx.reply = *refusal;
  } else if (!blocks_[*me].insert(target).second) {
    fx.reply = result(request, Status::already_blocked, fmt::format("{} is already blocked", target));
  } else {
    fx.writes.push_back(op::SetBlock{*me, target, true});
    fx.reply = result(request, Status::ok, fmt::format("{} is blocked", target));
  }
  return fx;
}

Effects Registry::unblock(SessionId session, std::uint32_t request, const std::string& target) {
  Effects fx;
  const std::string* me = user_of(session);
  if (auto refusal = check_block_target(me, request, target, "unblock")) {
    fx.reply = *refusal;
  } else if (auto it = blocks_.find(*me); it == blocks_.end() || it->second.erase(target) == 0) {
    fx.reply = result(request, Status::not_blocked, fmt::format("{} is not blocked", target));
  } else {
    fx.writes.push_back(op::SetBlock{*me, target, false});
    fx.reply = result(request, Status::ok, fmt::format("{} is unblocked", target));
  }
  return fx;
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
  pending_links_[token] =
      PendingLink{session, request.request, target, now_ms + settings_.link_answer_ms, request.purpose};
  fx.sends.push_back(
      {{*target_session}, wire::LinkRequest{token, *me, my_endpoint.fingerprint, request.purpose}});
  return fx;
}

Effects Registry::answer_link(SessionId session, const wire::LinkAnswer& answer) {
  Effects fx;
  auto it = pending_links_.find(answer.token);
  const std::string* me = user_of(session);
  // Only the user who was asked can answer; anything else is ignored (and harmless).
  if (it == pending_links_.end() || !me || it->second.target != *me) return fx;
  PendingLink pending = std::move(it->second);
  pending_links_.erase(it);
  wire::LinkOffer offer{pending.request, Status::ok, {}, *me, {}, {}, pending.purpose};
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

Effects Registry::register_file(SessionId session, const wire::RegisterFile& request, std::int64_t now_ms) {
  Effects fx;
  const std::string* me = user_of(session);
  if (!me) {
    fx.reply = result(request.request, Status::not_logged_in, "log in first");
    return fx;
  }
  auto registration = files_.register_file(*me, request, now_ms);
  fx.writes = std::move(registration.writes);  // acknowledged only once durable
  fx.reply = result(request.request, registration.status, std::move(registration.message));
  return fx;
}

Effects Registry::have_chunks(SessionId session, const wire::HaveChunks& have) {
  Effects fx;
  if (const std::string* me = user_of(session)) fx.bookkeeping = files_.set_holding(*me, have);
  return fx;
}

wire::FileInfo Registry::search_file(SessionId session, const wire::SearchFile& request) const {
  const std::string* me = user_of(session);
  if (!me) {
    wire::FileInfo refusal;
    refusal.request = request.request;
    refusal.status = Status::not_logged_in;
    refusal.message = "log in first";
    return refusal;
  }
  return files_.info(request.request, request.name, request.with_hashes, [&](const std::string& user) {
    return online_.contains(user) && !has_blocked(user, *me);
  });
}

}  // namespace parley::server
