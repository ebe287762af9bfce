// The store: its one SQLite connection is owned by a sqlite::WriterThread (the queue,
// group commit and completions shared with the peer's store); what is done to the
// tables is in sqlite_tables.cpp, the schema in sqlite_schema.cpp.
#include "server/storage/sqlite_store.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <future>
#include <utility>

#include "server/storage/sqlite_schema.hpp"
#include "server/storage/sqlite_tables.hpp"
#include "shared/sqlite/writer_thread.hpp"

namespace parley::server {
namespace {

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& path, asio::any_io_executor completions)
      : db_(sqlite::open_database(path)) {
    sqlite::migrate(db_.get());
    tables_ = std::make_unique<sqlite::Tables>(db_.get());
    writer_ = std::make_unique<sqlite::WriterThread>(db_.get(), std::move(completions));
  }

  PersistedState load() override {
    std::promise<PersistedState> promise;
    auto result = promise.get_future();
    writer_->read([&] {
      try {
        promise.set_value(tables_->load());
      } catch (...) {
        promise.set_exception(std::current_exception());
      }
    });
    return result.get();
  }

  // A batch that fails with others is run again alone: the ops stay in the job for that.
  void write(std::vector<WriteOp> ops, std::function<void(bool ok)> done) override {
    writer_->write(
        [this, ops = std::move(ops)] {
          for (const WriteOp& op : ops) tables_->apply(op);
        },
        std::move(done));
  }

  void fetch_offline(std::string user, std::int64_t after_seq, std::int64_t before_seq, std::size_t limit,
                     std::function<void(std::vector<StoredMessage>)> done) override {
    writer_->read([this, user = std::move(user), after_seq, before_seq, limit, done = std::move(done)] {
      std::vector<StoredMessage> messages;
      try {
        messages = tables_->fetch_offline(user, after_seq, before_seq, limit);
      } catch (const std::exception& e) {
        // The interface has no error path for fetches; the messages stay stored for a retry.
        spdlog::error("store: fetching offline messages failed: {}", e.what());
      }
      if (done) post(done, std::move(messages));
    });
  }

  void fetch_chunk_hashes(std::string name, std::function<void(std::vector<std::string>)> done) override {
    writer_->read([this, name = std::move(name), done = std::move(done)] {
      std::vector<std::string> hashes;
      try {
        hashes = tables_->chunk_hashes(name);
      } catch (const std::exception& e) {
        spdlog::error("store: reading chunk digests failed: {}", e.what());
      }
      post(done, std::move(hashes));
    });
  }

  void flush() override { writer_->flush(); }

 private:
  template <class T>
  void post(const std::function<void(T)>& done, T result) {
    asio::post(writer_->completions(),
               [done, result = std::move(result)]() mutable { done(std::move(result)); });
  }

  sqlite::DbPtr db_;
  std::unique_ptr<sqlite::Tables> tables_;        // after db_: finalized before it closes
  std::unique_ptr<sqlite::WriterThread> writer_;  // last: joined (all queued work done) first
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path,
                                         asio::any_io_executor completions) {
  return std::make_unique<SqliteStore>(path, std::move(completions));
}

}  // namespace parley::server
