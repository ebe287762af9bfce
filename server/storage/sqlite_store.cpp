// The store's thread, its queue and group commit; what is done to the tables is in
// sqlite_tables.cpp, the schema in sqlite_schema.cpp.
#include "server/storage/sqlite_store.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <asio/post.hpp>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <variant>

#include "server/storage/sqlite_schema.hpp"
#include "server/storage/sqlite_tables.hpp"

namespace parley::server {
namespace {

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& path, asio::any_io_executor completions)
      : completions_(std::move(completions)), db_(sqlite::open_database(path)) {
    sqlite::migrate(db_.get());
    tables_ = std::make_unique<sqlite::Tables>(db_.get());
    thread_ = std::thread([this] { run(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_one();
    thread_.join();
  }

  PersistedState load() override {
    std::promise<PersistedState> promise;
    auto result = promise.get_future();
    submit(LoadJob{std::move(promise)});
    return result.get();
  }

  void write(std::vector<WriteOp> ops, std::function<void(bool ok)> done) override {
    submit(WriteJob{std::move(ops), std::move(done)});
  }

  void fetch_offline(std::string user, std::int64_t after_seq, std::int64_t before_seq, std::size_t limit,
                     std::function<void(std::vector<StoredMessage>)> done) override {
    submit(FetchJob{std::move(user), after_seq, before_seq, limit, std::move(done)});
  }

  void fetch_chunk_hashes(std::string name, std::function<void(std::vector<std::string>)> done) override {
    submit(HashesJob{std::move(name), std::move(done)});
  }

  void flush() override {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = submitted_;
    all_done_.wait(lock, [&] { return completed_ >= target; });
  }

 private:
  struct WriteJob {
    std::vector<WriteOp> ops;
    std::function<void(bool)> done;
  };
  struct FetchJob {
    std::string user;
    std::int64_t after_seq;
    std::int64_t before_seq;
    std::size_t limit;
    std::function<void(std::vector<StoredMessage>)> done;
  };
  struct LoadJob {
    std::promise<PersistedState> result;
  };
  struct HashesJob {
    std::string name;
    std::function<void(std::vector<std::string>)> done;
  };
  using Job = std::variant<WriteJob, FetchJob, LoadJob, HashesJob>;

  void submit(Job job) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(job));
      ++submitted_;
    }
    work_ready_.notify_one();
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been done
      std::vector<Job> batch = std::exchange(queue_, {});
      const std::uint64_t through = submitted_;
      lock.unlock();
      process(batch);
      batch.clear();
      lock.lock();
      completed_ = through;
      all_done_.notify_all();
    }
  }

  void process(std::vector<Job>& batch) {
    std::size_t i = 0;
    while (i < batch.size()) {
      if (std::holds_alternative<WriteJob>(batch[i])) {
        std::vector<WriteJob*> writes;
        for (; i < batch.size() && std::holds_alternative<WriteJob>(batch[i]); ++i) {
          writes.push_back(&std::get<WriteJob>(batch[i]));
        }
        commit_writes(writes);
      } else if (auto* fetch = std::get_if<FetchJob>(&batch[i])) {
        run_fetch(*fetch);
        ++i;
      } else if (auto* hashes = std::get_if<HashesJob>(&batch[i])) {
        run_hashes(*hashes);
        ++i;
      } else {
        run_load(std::get<LoadJob>(batch[i]));
        ++i;
      }
    }
  }

  // Group commit: one transaction (one fsync) for every write that queued up meanwhile.
  void commit_writes(std::span<WriteJob* const> writes) {
    if (try_commit(writes)) {
      for (WriteJob* job : writes) post_result(*job, true);
      return;
    }
    if (writes.size() == 1) {
      post_result(*writes.front(), false);
      return;
    }
    // The batch mixes unrelated callers: retry each alone so one bad write fails only itself.
    for (WriteJob* job : writes) post_result(*job, try_commit(std::span(&job, 1)));
  }

  bool try_commit(std::span<WriteJob* const> writes) {
    try {
      tables_->begin();
      for (const WriteJob* job : writes)
        for (const WriteOp& op : job->ops) tables_->apply(op);
      tables_->commit();
      return true;
    } catch (const std::exception& e) {
      spdlog::error("store: transaction of {} write job(s) failed: {}", writes.size(), e.what());
      if (sqlite3_get_autocommit(db_.get()) == 0) {
        try {
          tables_->rollback();
        } catch (const std::exception& rollback_error) {
          spdlog::error("store: rollback failed: {}", rollback_error.what());
        }
      }
      return false;
    }
  }

  void run_fetch(FetchJob& job) {
    std::vector<StoredMessage> messages;
    try {
      messages = tables_->fetch_offline(job.user, job.after_seq, job.before_seq, job.limit);
    } catch (const std::exception& e) {
      // The interface has no error path for fetches; the messages stay stored for a retry.
      spdlog::error("store: fetching offline messages failed: {}", e.what());
      messages.clear();
    }
    if (job.done) {
      asio::post(completions_, [done = std::move(job.done), messages = std::move(messages)]() mutable {
        done(std::move(messages));
      });
    }
  }

  void run_hashes(HashesJob& job) {
    std::vector<std::string> hashes;
    try {
      hashes = tables_->chunk_hashes(job.name);
    } catch (const std::exception& e) {
      spdlog::error("store: reading chunk digests failed: {}", e.what());
    }
    asio::post(completions_, [done = std::move(job.done), hashes = std::move(hashes)]() mutable {
      done(std::move(hashes));
    });
  }

  void run_load(LoadJob& job) {
    try {
      job.result.set_value(tables_->load());
    } catch (...) {
      job.result.set_exception(std::current_exception());
    }
  }

  void post_result(WriteJob& job, bool ok) {
    if (job.done) asio::post(completions_, [done = std::move(job.done), ok] { done(ok); });
  }

  asio::any_io_executor completions_;
  sqlite::DbPtr db_;
  std::unique_ptr<sqlite::Tables> tables_;  // declared after db_: finalized before it closes

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable all_done_;
  std::vector<Job> queue_;
  std::uint64_t submitted_ = 0;  // jobs ever queued
  std::uint64_t completed_ = 0;  // jobs whose work is done and whose completion is posted
  bool stopping_ = false;

  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path,
                                         asio::any_io_executor completions) {
  return std::make_unique<SqliteStore>(path, std::move(completions));
}

}  // namespace parley::server
