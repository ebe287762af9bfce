#include "shared/net/flush_scheduler.hpp"

#include <asio/post.hpp>

namespace parley::net {

asio::execution_context::id FlushScheduler::id;

FlushScheduler::FlushScheduler(asio::execution_context& context) : service(context) {}

void FlushScheduler::add(std::shared_ptr<Flushable> connection, const asio::any_io_executor& executor) {
  dirty_.push_back(std::move(connection));
  if (posted_) return;
  pacer_.start(FlushPacer::Clock::now());
  executor_ = executor;
  post();
}

void FlushScheduler::post() {
  // Posted from a handler, this runs after the handlers already queued and the loop's
  // next poll for readiness, so each deferral lets one more pass of input be read.
  asio::post(executor_, [this] { run(); });
  posted_ = true;
}

void FlushScheduler::run() {
  posted_ = false;
  if (!pacer_.flush_now(FlushPacer::Clock::now())) {
    flush_full();
    post();
    return;
  }
  flushing_.swap(dirty_);
  executor_ = {};
  for (auto& connection : flushing_) connection->flush();
  flushing_.clear();
}

void FlushScheduler::flush_full() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    if (dirty_[i]->queued_bytes() >= kFullRecord)
      dirty_[i]->flush();
    else if (kept++ != i)
      dirty_[kept - 1] = std::move(dirty_[i]);
  }
  dirty_.resize(kept);
}

void FlushScheduler::shutdown() {
  dirty_.clear();
  flushing_.clear();
  executor_ = {};
}

}  // namespace parley::net
