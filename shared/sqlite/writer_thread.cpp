#include "shared/sqlite/writer_thread.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <exception>
#include <utility>

namespace parley::sqlite {

WriterThread::WriterThread(sqlite3* db, asio::any_io_executor completions,
                           std::function<void()> before_commit)
    : db_(db),
      completions_(std::move(completions)),
      before_commit_(std::move(before_commit)),
      begin_(prepare(db, "BEGIN IMMEDIATE")),
      commit_(prepare(db, "COMMIT")),
      rollback_(prepare(db, "ROLLBACK")),
      thread_([this] { run(); }) {}

WriterThread::~WriterThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  thread_.join();
}

void WriterThread::write(std::function<void()> work, std::function<void(bool ok)> done) {
  submit(Job{true, std::move(work), std::move(done)});
}

void WriterThread::read(std::function<void()> work) { submit(Job{false, std::move(work), {}}); }

void WriterThread::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = submitted_;
  all_done_.wait(lock, [&] { return completed_ >= target; });
}

void WriterThread::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
    ++submitted_;
  }
  work_ready_.notify_one();
}

void WriterThread::run() {
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

void WriterThread::process(std::vector<Job>& batch) {
  std::size_t i = 0;
  while (i < batch.size()) {
    if (!batch[i].is_write) {
      try {
        batch[i].work();
      } catch (const std::exception& e) {
        spdlog::error("store: read failed: {}", e.what());
      }
      ++i;
      continue;
    }
    std::vector<Job*> writes;
    for (; i < batch.size() && batch[i].is_write; ++i) writes.push_back(&batch[i]);
    commit_writes(writes);
  }
}

// Group commit: one transaction (one fsync) for every write that queued up meanwhile.
void WriterThread::commit_writes(std::span<Job* const> writes) {
  if (try_commit(writes)) {
    for (Job* job : writes) post_result(*job, true);
    return;
  }
  if (writes.size() == 1) {
    post_result(*writes.front(), false);
    return;
  }
  // The batch mixes unrelated callers: retry each alone so one bad write fails only itself.
  for (Job* job : writes) post_result(*job, try_commit(std::span(&job, 1)));
}

bool WriterThread::try_commit(std::span<Job* const> writes) {
  try {
    Use(db_, begin_).run();
    for (Job* job : writes) job->work();
    if (before_commit_) before_commit_();
    Use(db_, commit_).run();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("store: transaction of {} write(s) failed: {}", writes.size(), e.what());
    if (sqlite3_get_autocommit(db_) == 0) {
      try {
        Use(db_, rollback_).run();
      } catch (const std::exception& rollback_error) {
        spdlog::error("store: rollback failed: {}", rollback_error.what());
      }
    }
    return false;
  }
}

void WriterThread::post_result(Job& job, bool ok) {
  if (job.done) asio::post(completions_, [done = std::move(job.done), ok] { done(ok); });
}

}  // namespace parley::sqlite
