// Registry: relaying private, group and broadcast messages.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "server/registry/registry.hpp"

namespace parley::server {
namespace {

using wire::Status;

bool blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
}

}  // namespace

Effects Registry::send_message(SessionId session, wire::SendMessage&& request, std::int64_t now_ms) {
  Effects fx;
  const std::string* from = user_of(session);
  if (!from) return refusal(request.request, Status::not_logged_in, "log in first");
  if (request.to.empty()) return refusal(request.request, Status::bad_request, "no recipient");
  if (blank(request.text)) return refusal(request.request, Status::empty_text, "message text is empty");
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
  if (!from) return refusal(request.request, Status::not_logged_in, "log in first");
  if (blank(request.text)) return refusal(request.request, Status::empty_text, "message text is empty");
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

}  // namespace parley::server
