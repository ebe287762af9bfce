// The outbox of one connection: a FIFO of shared frames that holds no memory once
// drained. std::deque keeps a 512-byte block and its map allocated even when empty,
// which across thousands of idle connections is most of what they would cost us.
#pragma once

#include <cstddef>
#include <vector>

#include "shared/wire/codec.hpp"

namespace parley::net {

class FrameQueue {
 public:
  bool empty() const { return head_ == frames_.size(); }
  std::size_t size() const { return frames_.size() - head_; }
  const wire::SharedFrame& front() const { return frames_[head_]; }

  void push_back(wire::SharedFrame frame) { frames_.push_back(std::move(frame)); }

  wire::SharedFrame pop_front() {
    wire::SharedFrame frame = std::move(frames_[head_++]);
    if (empty()) clear();
    return frame;
  }

  void clear() {
    // A burst's worth of slots is kept for the next burst; a flood's is given back.
    if (frames_.capacity() > kKeptSlots)
      std::vector<wire::SharedFrame>().swap(frames_);
    else
      frames_.clear();
    head_ = 0;
  }

  // Gives back every slot (the connection is going idle for good, or closing).
  void release() {
    std::vector<wire::SharedFrame>().swap(frames_);
    head_ = 0;
  }

 private:
  static constexpr std::size_t kKeptSlots = 8;
  std::vector<wire::SharedFrame> frames_;
  std::size_t head_ = 0;  // frames before it are sent and empty
};

}  // namespace parley::net
