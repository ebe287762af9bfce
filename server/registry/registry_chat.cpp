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
  Mailbox::Letter& letter = mailbox_.draft();
  letter.sender = session;
  letter.reply.request = request.request;
  letter.reply.recipients.reserve(request.to.size());
  letter.targets.reserve(request.to.size());
  std::size_t accepted = 0;
  for (auto to = request.to.begin(); to != request.to.end(); ++to) {
    if (std::find(request.to.begin(), to, *to) != to) continue;
    Mailbox::Target target;
    Status status = Status::stored_offline;  // for now: the mailbox decides
    if (!account_exists(*to)) {
      status = Status::unknown_user;
    } else if (*to == *from) {
      status = Status::yourself;
    } else if (has_blocked(*to, *from)) {
      status = Status::blocked;
    } else if (const SessionId online = session_of(*to).value_or(0);
               online == 0 && !mailbox_.fits(*from, *to, request.text.size())) {
      status = Status::rate_limited;  // too much waits for them already, or from this sender
    } else {
      target.state = Mailbox::State::waiting;
      target.session = online;
      ++accepted;
    }
    letter.reply.recipients.push_back({*to, status});
    letter.targets.push_back(target);
  }
  if (accepted == 0) {
    fx.reply = letter.reply;
    return fx;
  }
  if (accepted > 1) {
    letter.group.reserve(accepted);
    for (std::size_t i = 0; i < letter.targets.size(); ++i)
      if (letter.targets[i].state != Mailbox::State::refused)
        letter.group.push_back(letter.reply.recipients[i].user);
  }
  letter.from = *from;
  letter.request.request = request.request;
  letter.request.msg_id = std::move(request.msg_id);
  letter.request.text = std::move(request.text);
  return mailbox_.send(now_ms);
}

Effects Registry::acknowledge(SessionId session, std::span<const std::int64_t> seqs) {
  const std::string* me = user_of(session);
  if (!me) return {};
  auto acked = mailbox_.acknowledge(session, *me, seqs);
  for (auto& [sender, receipt] : acked.receipts)
    if (auto target = session_of(sender)) acked.fx.direct.emplace_back(*target, std::move(receipt));
  return std::move(acked.fx);
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
