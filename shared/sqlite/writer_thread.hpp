// The one thread that owns a SQLite connection after opening: jobs queue up from any
// thread, writes that queued up together share one transaction (group commit: one fsync
// for a burst), and completions are posted to an executor, so the event loop that
// submits never waits on the disk.
#pragma once

#include <sqlite3.h>

#include <asio/any_io_executor.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "shared/sqlite/db.hpp"

namespace parley::sqlite {

class WriterThread {
 public:
  // `before_commit` (tests) runs on the thread before each COMMIT.
  WriterThread(sqlite3* db, asio::any_io_executor completions, std::function<void()> before_commit = {});
  ~WriterThread();  // does everything already queued, then joins
  WriterThread(const WriterThread&) = delete;
  WriterThread& operator=(const WriterThread&) = delete;

  // `work` runs on the thread inside a transaction; it throws to fail. `done(ok)` is
  // posted to the completions executor once the transaction committed (or failed).
  void write(std::function<void()> work, std::function<void(bool ok)> done = {});
  // `work` runs on the thread outside any transaction, in submission order with writes;
  // it posts its own results.
  void read(std::function<void()> work);
  // Blocks until everything submitted so far has been done.
  void flush();

  const asio::any_io_executor& completions() const { return completions_; }

 private:
  struct Job {
    bool is_write = false;
    std::function<void()> work;
    std::function<void(bool)> done;
  };

  void submit(Job job);
  void run();
  void process(std::vector<Job>& batch);
  void commit_writes(std::span<Job* const> writes);
  bool try_commit(std::span<Job* const> writes);
  void post_result(Job& job, bool ok);

  sqlite3* db_;
  asio::any_io_executor completions_;
  std::function<void()> before_commit_;
  StmtPtr begin_, commit_, rollback_;

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable all_done_;
  std::vector<Job> queue_;
  std::uint64_t submitted_ = 0;
  std::uint64_t completed_ = 0;
  bool stopping_ = false;

  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace parley::sqlite
