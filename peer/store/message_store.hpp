// The peer's own message store, <data-dir>/messages.db: the conversation history, the
// ids of messages already shown, and the outbox of our messages the server has not
// answered yet. Everything that touches the disk after opening runs on the store's own
// thread; the loop gets answers from memory or through callbacks posted back to it.
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "peer/store/records.hpp"
#include "shared/sqlite/db.hpp"

namespace parley::sqlite {
class WriterThread;
}

namespace parley::peer {
namespace store {
class MessageTables;
}

struct MessageStoreOptions {
  std::filesystem::path file;  // <data-dir>/messages.db
  // Whose messages these are, e.g. "alice@example.org:7878" (user name folded): one data
  // directory may serve several users and servers, and none may see another's.
  std::string account;
  int history_days = 365;               // 0: keep history forever
  std::function<void()> before_commit;  // tests: runs on the store's thread before each commit
};

class MessageStore {
 public:
  using Done = std::function<void(bool ok)>;

  // Opens (creating or upgrading) the database, loads the seen ids and the outbox, and
  // queues the pruning of what is older than the history window. Completions are posted
  // to `loop`. Throws std::runtime_error, naming the file, if it cannot be used.
  MessageStore(MessageStoreOptions options, asio::any_io_executor loop);
  ~MessageStore();  // finishes every queued write, then joins the thread
  MessageStore(const MessageStore&) = delete;
  MessageStore& operator=(const MessageStore&) = delete;

  // Shown-once bookkeeping, answered from memory.
  bool seen(const std::string& from, const std::string& msg_id) const;
  // Memory now, disk soon; `durable(ok)` (optional) once it is on disk, for a caller that
  // acknowledges only then.
  void mark_seen(const std::string& from, const std::string& msg_id, std::int64_t time_ms, Done durable = {});

  // History. `done` (optional) once on disk.
  void add(StoredMessage message, Done done = {});
  // A message from someone else, shown once it is on disk: its history row and its seen id
  // go in one transaction, so a peer killed at any moment has either both (it was shown)
  // or neither (a redelivery shows it).
  void add_received(StoredMessage message, std::int64_t seen_ms, Done done = {});
  // Our message `msg_id`: every recipient's receipt, or only `recipient`'s.
  void set_state(const std::string& msg_id, const std::string& state, const std::string& recipient = {});
  // The newest `n` lines (with `with_user` as sender or recipient; "" = all), oldest first.
  void history(std::string with_user, std::size_t n, std::function<void(std::vector<StoredMessage>)> done);

  // Outbox, from the moment a message is typed until the server answers for it:
  // `durable(ok)` once it survives a restart. It is in outbox() at once either way.
  void enqueue(QueuedMessage queued, Done durable);
  const std::vector<QueuedMessage>& outbox() const { return outbox_; }  // in the order typed
  void dequeue(const std::string& msg_id);                              // the server answered
  bool queued(const std::string& msg_id) const;

  // `durable(ok)` once everything submitted so far is on disk: what a received message
  // waits for before it is acknowledged.
  void after_writes(Done durable);

  // Blocks until everything submitted so far is on disk (tests, shutdown).
  void flush();

  // Seen ids are kept this long; history as long as `history_days` says, but at least
  // this long, so a late redelivery is still recognised.
  static constexpr int kMinSeenDays = 30;

 private:
  void forget_seen_before(std::int64_t cutoff_ms);

  asio::any_io_executor loop_;
  std::int64_t seen_window_ms_;

  std::unordered_set<std::string> seen_;  // folded sender '\n' msg_id
  std::deque<std::pair<std::int64_t, std::string>> seen_order_;
  std::vector<QueuedMessage> outbox_;

  sqlite::DbPtr db_;
  std::unique_ptr<store::MessageTables> tables_;  // after db_: finalized before it closes
  std::unique_ptr<sqlite::WriterThread> writer_;  // last: stops before what it uses goes
};

}  // namespace parley::peer
