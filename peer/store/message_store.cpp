#include "peer/store/message_store.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <limits>
#include <stdexcept>
#include <utility>

#include "peer/store/message_tables.hpp"
#include "shared/sqlite/writer_thread.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

std::string seen_key(const std::string& from, const std::string& msg_id) {
  return wire::folded_username(from) + '\n' + msg_id;
}

}  // namespace

MessageStore::MessageStore(MessageStoreOptions options, asio::any_io_executor loop)
    : loop_(std::move(loop)), seen_window_ms_(std::max(options.history_days, kMinSeenDays) * kDayMs) {
  const std::int64_t now = now_ms();
  try {
    db_ = sqlite::open_database(options.file);
    store::migrate(db_.get());
    tables_ = std::make_unique<store::MessageTables>(db_.get(), options.account);
    // Read once before the thread starts, so nothing else touches the connection yet.
    for (auto& id : tables_->load_seen(now - seen_window_ms_)) {
      std::string key = seen_key(id.from, id.msg_id);
      if (seen_.insert(key).second) seen_order_.emplace_back(id.time_ms, std::move(key));
    }
    outbox_ = tables_->load_outbox();
  } catch (const std::exception& e) {
    throw std::runtime_error("message store " + options.file.string() + ": " + e.what());
  }
  writer_ = std::make_unique<sqlite::WriterThread>(db_.get(), loop_, std::move(options.before_commit));
  const std::int64_t history_before = options.history_days > 0 ? now - options.history_days * kDayMs
                                                               : std::numeric_limits<std::int64_t>::min();
  writer_->write([tables = tables_.get(), history_before, seen_before = now - seen_window_ms_] {
    tables->prune(history_before, seen_before);
  });
}

MessageStore::~MessageStore() = default;

bool MessageStore::seen(const std::string& from, const std::string& msg_id) const {
  return seen_.contains(seen_key(from, msg_id));
}

void MessageStore::mark_seen(const std::string& from, const std::string& msg_id, std::int64_t time_ms,
                             Done durable) {
  std::string key = seen_key(from, msg_id);
  if (seen_.insert(key).second) seen_order_.emplace_back(time_ms, std::move(key));
  forget_seen_before(time_ms - seen_window_ms_);
  writer_->write([tables = tables_.get(), id = SeenId{from, msg_id, time_ms}] { tables->mark_seen(id); },
                 std::move(durable));
}

// The oldest entries leave memory as new ones arrive; on disk they go at the next start.
void MessageStore::forget_seen_before(std::int64_t cutoff_ms) {
  while (!seen_order_.empty() && seen_order_.front().first < cutoff_ms) {
    seen_.erase(seen_order_.front().second);
    seen_order_.pop_front();
  }
}

void MessageStore::add(StoredMessage message, Done done) {
  writer_->write([tables = tables_.get(), m = std::move(message)] { tables->add(m); }, std::move(done));
}

void MessageStore::add_received(StoredMessage message, std::int64_t seen_ms, Done done) {
  if (message.msg_id.empty()) return add(std::move(message), std::move(done));
  std::string key = seen_key(message.from, message.msg_id);
  if (seen_.insert(key).second) seen_order_.emplace_back(seen_ms, std::move(key));
  forget_seen_before(seen_ms - seen_window_ms_);
  SeenId id{message.from, message.msg_id, seen_ms};
  writer_->write(
      [tables = tables_.get(), m = std::move(message), id = std::move(id)] {
        tables->mark_seen(id);
        tables->add(m);
      },
      std::move(done));
}

void MessageStore::set_state(const std::string& msg_id, const std::string& state,
                             const std::string& recipient) {
  writer_->write(
      [tables = tables_.get(), msg_id, state, recipient] { tables->set_state(msg_id, state, recipient); });
}

void MessageStore::history(std::string with_user, std::size_t n,
                           std::function<void(std::vector<StoredMessage>)> done) {
  writer_->read([tables = tables_.get(), loop = loop_, with_user = std::move(with_user), n,
                 done = std::move(done)]() mutable {
    std::vector<StoredMessage> lines;
    try {
      lines = tables->history(with_user, n);
    } catch (...) {
      // Answer anyway, with nothing, so the caller is not left waiting.
      asio::post(loop, [done = std::move(done)] { done({}); });
      throw;  // logged by the writer thread
    }
    asio::post(loop,
               [done = std::move(done), lines = std::move(lines)]() mutable { done(std::move(lines)); });
  });
}

void MessageStore::enqueue(QueuedMessage queued, Done durable) {
  if (!this->queued(queued.msg_id)) outbox_.push_back(queued);
  writer_->write([tables = tables_.get(), q = std::move(queued)] { tables->enqueue(q); }, std::move(durable));
}

void MessageStore::dequeue(const std::string& msg_id) {
  std::erase_if(outbox_, [&](const QueuedMessage& q) { return q.msg_id == msg_id; });
  writer_->write([tables = tables_.get(), msg_id] { tables->dequeue(msg_id); });
}

bool MessageStore::queued(const std::string& msg_id) const {
  return std::any_of(outbox_.begin(), outbox_.end(),
                     [&](const QueuedMessage& q) { return q.msg_id == msg_id; });
}

void MessageStore::after_writes(Done durable) {
  writer_->write([] {}, std::move(durable));
}

void MessageStore::flush() { writer_->flush(); }

}  // namespace parley::peer
