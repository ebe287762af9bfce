// Back-pressure on the store: how many write ops the sessions have queued that are not
// committed yet. Past the high-water mark, the session that queued more is paused (its
// reads stop, so its peer's TCP window closes) until the queue drains to the low-water
// mark: a flood of stored messages slows its sender, and someone else's message waits
// behind at most a high-water mark of others, not behind the whole flood. Pure.
//
// 256 ops (about 1 MiB of text at most) keep a commit to tens of milliseconds.
#pragma once

#include <cstddef>

namespace parley::server::limits {

class StorePressure {
 public:
  explicit StorePressure(std::size_t high = 256, std::size_t low = 64) : high_(high), low_(low) {}

  void queued(std::size_t ops) { depth_ += ops; }
  // Too deep, counting `unqueued` ops about to be queued (the loop pass's batch): pause
  // whoever feeds it.
  bool backlogged(std::size_t unqueued = 0) const { return depth_ + unqueued > high_; }
  // `ops` were committed (or failed); true if the queue is down to the low-water mark:
  // resume everyone paused.
  bool committed(std::size_t ops) {
    depth_ = ops > depth_ ? 0 : depth_ - ops;
    return depth_ <= low_;
  }
  std::size_t depth() const { return depth_; }

 private:
  std::size_t high_, low_;
  std::size_t depth_ = 0;
};

}  // namespace parley::server::limits
