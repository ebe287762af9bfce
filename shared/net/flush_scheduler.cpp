#include "shared/net/flush_scheduler.hpp"

#include <asio/post.hpp>

#include "shared/net/connection.hpp"

namespace parley::net {

asio::execution_context::id FlushScheduler::id;

FlushScheduler::FlushScheduler(asio::execution_context& context) : service(context) {}

void FlushScheduler::add(std::shared_ptr<Connection> connection, const asio::any_io_executor& executor) {
  dirty_.push_back(std::move(connection));
  if (posted_) return;
  pacer_.start(FlushPacer::Clock::now());
  executor_ = executor;
  post();
}

void FlushScheduler::post() {
  posted_ = true;
  // A handler posted from a handler runs after the loop's next poll for readiness and
  // the handlers already queued: a deferred flush sees the input of one more pass.
  asio::post(executor_, [this] { run(); });
}

void FlushScheduler::run() {
  posted_ = false;
  if (!pacer_.flush_now(FlushPacer::Clock::now())) {
    post();
    return;
  }
  flushing_.swap(dirty_);
  executor_ = {};
  for (auto& connection : flushing_) connection->flush();
  flushing_.clear();
}

void FlushScheduler::shutdown() {
  dirty_.clear();
  flushing_.clear();
  executor_ = {};
}

}  // namespace parley::net
