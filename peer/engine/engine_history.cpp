// The peer's own message store in use: every conversation line is kept (history), and a
// message shown once is never shown again when the server redelivers it.
#include <fmt/format.h>

#include "peer/engine/engine.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {

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
  return !store_->seen(from, msg_id);  // marked seen by record_received, with its row
}

void Engine::record(StoredMessage message, MessageStore::Done durable) {
  if (store_)
    store_->add(std::move(message), std::move(durable));
  else if (durable)
    durable(true);  // nothing to wait for: without a store, nothing will ever be on disk
}

void Engine::record_received(std::string kind, std::string msg_id, std::string from,
                             std::vector<std::string> to, std::string text, bool action, std::int64_t time_ms,
                             MessageStore::Done durable) {
  StoredMessage line{0,
                     std::move(msg_id),
                     std::move(kind),
                     std::move(from),
                     std::move(to),
                     std::move(text),
                     action,
                     false,
                     time_ms,
                     "received",
                     {}};
  if (store_)
    store_->add_received(std::move(line), now_ms(), std::move(durable));
  else if (durable)
    durable(true);
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
