// Our messages through the server, from typing to the last receipt. Every message is in
// the outbox on disk from the moment it is typed until the server answers for it (stored,
// delivered or refused): one the server never answered (the connection dropped, the
// server was killed first, this peer was restarted) goes out again with the same id, and
// the server drops a copy it already has. Receipts only move a recipient's state
// forward, and each move is told once.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "peer/engine/action.hpp"
#include "peer/engine/engine.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {

asio::awaitable<bool> Engine::send_message(std::string_view command, const std::vector<std::string>& to,
                                           const std::string& text, const std::string& id) {
  if (!store_ && !session_.up()) {
    error(command, "the server is unreachable, and without a message store nothing can wait for it");
    co_return false;
  }
  const QueuedMessage message{id, to, text, now_ms()};
  in_flight_.insert(id);  // a flush of the outbox meanwhile leaves it to us
  co_await keep_in_outbox(message);
  const bool up = session_.up();
  const Delivery state = up ? Delivery::sent : Delivery::queued;
  receipts_.track(id, to, state, text);
  StoredMessage line{0,    id,    "message", session_.user(), to,
                     text, false, true,      message.time_ms, std::string(delivery_name(state)),
                     {}};
  line.action = strip_action(line.text);
  record(std::move(line));
  ev::Sent shown{id, to, text, false, message.time_ms, {}, std::string(command), !up};
  shown.pending = up;
  shown.action = strip_action(shown.text);
  emit(std::move(shown));
  if (!up) {
    in_flight_.erase(id);
    co_return true;
  }
  const auto answer = co_await deliver(command, message, false);
  co_return answer.value_or(true);  // unanswered is not lost: it waits in the outbox
}

// Returns once the message would survive a restart of this peer.
asio::awaitable<void> Engine::keep_in_outbox(const QueuedMessage& message) {
  if (!store_) co_return;
  // Shared with the callback: it may run after this coroutine is gone (at exit).
  auto done = std::make_shared<net::AsyncEvent>(io_.get_executor());
  auto durable = std::make_shared<std::optional<bool>>();
  store_->enqueue(message, [done, durable](bool ok) {
    *durable = ok;
    done->notify();
  });
  while (!*durable) co_await done->wait();
  if (!**durable)
    spdlog::error("the outbox could not be written: message {} survives no restart", message.msg_id);
}

asio::awaitable<std::optional<bool>> Engine::deliver(std::string_view command, const QueuedMessage& message,
                                                     bool resent) {
  in_flight_.insert(message.msg_id);
  std::optional<wire::Message> reply;
  if (session_.up()) {
    const wire::Message request = wire::SendMessage{0, message.msg_id, message.to, message.text};
    reply = co_await session_.client().call(request);
  }
  in_flight_.erase(message.msg_id);
  if (finished_) co_return std::nullopt;
  if (!reply) {
    still_queued(command, message);
    co_return std::nullopt;
  }
  if (auto* result = std::get_if<wire::SendResult>(&*reply))
    co_return answered(command, message, *result, resent);
  refused(command, message, *reply);
  co_return false;
}

bool Engine::answered(std::string_view command, const QueuedMessage& message, const wire::SendResult& result,
                      bool resent) {
  if (store_) store_->dequeue(message.msg_id);
  if (message.to.size() == 1) last_partner_ = message.to.front();
  ev::Sent event{message.msg_id,  message.to,        message.text,        false,
                 message.time_ms, result.recipients, std::string(command)};
  event.resent = resent;
  bool ok = true;
  for (const auto& r : result.recipients) {
    const Delivery state = delivery_of(r.status);
    ok = ok && state != Delivery::refused;
    move_receipt(message.msg_id, r.user, state, event.receipts);
  }
  for (const auto& user : message.to) {
    const bool answered_for = std::any_of(
        result.recipients.begin(), result.recipients.end(),
        [&](const auto& r) { return wire::folded_username(r.user) == wire::folded_username(user); });
    if (!answered_for) move_receipt(message.msg_id, user, Delivery::refused, event.receipts);
  }
  event.action = strip_action(event.text);
  emit(std::move(event));
  return ok;
}

// The server refused the message as a whole (malformed, too fast): it will not take it
// later either, so it leaves the outbox.
void Engine::refused(std::string_view command, const QueuedMessage& message, const wire::Message& reply) {
  if (store_) store_->dequeue(message.msg_id);
  std::vector<ev::Receipt> none;
  for (const auto& user : message.to) move_receipt(message.msg_id, user, Delivery::refused, none);
  if (!generic_reply(command, reply)) error(command, "unexpected answer from the server");
}

void Engine::still_queued(std::string_view command, const QueuedMessage& message) {
  std::vector<ev::Receipt> none;
  for (const auto& user : message.to) move_receipt(message.msg_id, user, Delivery::queued, none);
  ev::Sent event{message.msg_id,  message.to, message.text,         false,
                 message.time_ms, {},         std::string(command), true};
  event.resent = true;
  event.action = strip_action(event.text);
  emit(std::move(event));
}

void Engine::move_receipt(const std::string& id, const std::string& user, Delivery state,
                          std::vector<ev::Receipt>& told) {
  if (!receipts_.update(id, user, state)) return;
  const std::string name(delivery_name(state));
  if (store_) store_->set_state(id, name, user);
  if (state == Delivery::stored || state == Delivery::delivered) {
    std::string text = receipts_.text(id);
    strip_action(text);
    told.push_back(ev::Receipt{id, user, name, std::move(text)});
  }
}

// A recipient's peer acknowledged our message after the server had answered `stored`.
void Engine::on_receipt(const wire::Receipt& receipt) {
  std::vector<ev::Receipt> told;
  move_receipt(receipt.msg_id, receipt.user, Delivery::delivered, told);
  for (auto& r : told) emit(std::move(r));
}

// Sends what the server has not answered yet, oldest first, each with the id it was
// given when typed.
asio::awaitable<void> Engine::flush_outbox() {
  if (!store_ || flushing_outbox_) co_return;
  flushing_outbox_ = true;
  const std::vector<QueuedMessage> waiting = store_->outbox();
  for (const auto& message : waiting) {
    if (!session_.up()) break;
    if (in_flight_.contains(message.msg_id) || !store_->queued(message.msg_id)) continue;
    if (receipts_.text(message.msg_id).empty())
      receipts_.track(message.msg_id, message.to, Delivery::sent, message.text);  // typed before a restart
    const auto answer = co_await deliver("message", message, true);
    if (!answer) break;  // the connection is gone again: the rest waits for the next one
  }
  flushing_outbox_ = false;
}

}  // namespace parley::peer
