// The peer's own message store in use: every conversation line is kept (history), a
// message shown once is never shown again when the server redelivers it, and a message
// typed while the server is away waits in the outbox, on disk, and goes out with the same
// id when the server is back, even after a restart of the peer.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/co_spawn.hpp>

#include "peer/engine/action.hpp"
#include "peer/engine/engine.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

std::string receipt_state(wire::Status status) {
  if (status == wire::Status::ok) return "delivered";
  if (status == wire::Status::stored_offline) return "stored";
  return "refused";
}

}  // namespace

void Engine::open_store() {
  if (store_) return;
  try {
    const std::string account =
        fmt::format("{}@{}:{}", wire::folded_username(session_.user()), config_.host, config_.port);
    store_ = std::make_unique<MessageStore>(
        MessageStoreOptions{config_.data_dir / "messages.db", account, config_.history_days, {}},
        io_.get_executor());
  } catch (const std::exception& e) {
    error("history", fmt::format("no history, and redelivered messages may show twice: {}", e.what()));
  }
}

bool Engine::first_showing(const std::string& from, const std::string& msg_id) {
  if (!store_ || msg_id.empty()) return true;
  if (store_->seen(from, msg_id)) return false;
  store_->mark_seen(from, msg_id, now_ms());
  return true;
}

void Engine::record(StoredMessage message) {
  if (store_) store_->add(std::move(message));
}

void Engine::record_received(std::string kind, std::string msg_id, std::string from,
                             std::vector<std::string> to, std::string text, bool action,
                             std::int64_t time_ms) {
  record({0,
          std::move(msg_id),
          std::move(kind),
          std::move(from),
          std::move(to),
          std::move(text),
          action,
          false,
          time_ms,
          "received",
          {}});
}

void Engine::record_sent(const ev::Sent& sent) {
  StoredMessage line{
      0, sent.id, "message", session_.user(), sent.to, sent.text, sent.action, true, sent.sent_ms, "", {}};
  if (sent.queued) {
    line.state = "queued";
  } else {
    for (const auto& to : sent.to) {
      auto it = std::find_if(sent.results.begin(), sent.results.end(),
                             [&](const wire::RecipientResult& r) { return r.user == to; });
      line.to_state.push_back(it == sent.results.end() ? "refused" : receipt_state(it->status));
    }
    const bool same = std::all_of(line.to_state.begin(), line.to_state.end(),
                                  [&](const std::string& s) { return s == line.to_state.front(); });
    line.state = line.to_state.empty() ? "refused" : same ? line.to_state.front() : "mixed";
  }
  record(std::move(line));
}

// The server is unreachable: the message waits on disk and goes out when it is back.
asio::awaitable<bool> Engine::queue_message(std::string_view command, const std::vector<std::string>& to,
                                            const std::string& text, const std::string& id) {
  if (!store_) {
    error(command, "the server is unreachable, and without a message store nothing can wait for it");
    co_return false;
  }
  ev::Sent event{id, to, text, false, now_ms(), {}, std::string(command), true};
  store_->enqueue(QueuedMessage{event.id, to, text, event.sent_ms}, [](bool ok) {
    if (!ok) spdlog::error("the outbox could not be written");
  });
  event.action = strip_action(event.text);
  record_sent(event);
  emit(std::move(event));
  co_return true;
}

// Sends what waited, oldest first, each with the id it was given when typed: a message the
// server already took (its answer was lost) is not stored twice.
asio::awaitable<void> Engine::flush_outbox() {
  if (!store_ || flushing_outbox_) co_return;
  flushing_outbox_ = true;
  const std::vector<QueuedMessage> waiting = store_->outbox();
  for (const auto& queued : waiting) {
    if (!session_.up()) break;
    const wire::Message message = wire::SendMessage{0, queued.msg_id, queued.to, queued.text};
    auto reply = co_await session_.client().call(message);
    auto* sent = reply ? std::get_if<wire::SendResult>(&*reply) : nullptr;
    if (!sent) break;  // no answer: it stays queued for the next time
    store_->dequeue(queued.msg_id);
    ev::Sent event{queued.msg_id, queued.to, queued.text, false, queued.time_ms, sent->recipients};
    for (const auto& r : sent->recipients) store_->set_state(queued.msg_id, receipt_state(r.status), r.user);
    event.action = strip_action(event.text);
    emit(std::move(event));
  }
  flushing_outbox_ = false;
}

asio::awaitable<bool> Engine::handle(const cmd::History& c) {
  if (!store_) {
    error("history", "no message store");
    co_return false;
  }
  // Shared with the callback: it may run after this coroutine is gone (at exit).
  auto done = std::make_shared<net::AsyncEvent>(io_.get_executor());
  auto lines = std::make_shared<std::optional<std::vector<StoredMessage>>>();
  store_->history(c.user, c.count, [done, lines](std::vector<StoredMessage> found) {
    *lines = std::move(found);
    done->notify();
  });
  while (!*lines) co_await done->wait();
  emit(ev::History{c.user, std::move(**lines)});
  co_return true;
}

}  // namespace parley::peer
