// Bytes per second over the last few seconds: what "serving at" should say. A session
// average would hide a transfer that stalled a minute ago. Pure: the caller passes the
// time, so tests need no clock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>

namespace parley::peer {

class RateMeter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateMeter(Clock::duration window = std::chrono::seconds(5)) : window_(window) {}

  void add(std::uint64_t bytes, Clock::time_point now) {
    // Pieces arrive by the thousand per second: one bucket per tenth of a second keeps
    // the memory a few dozen entries whatever the rate.
    if (!buckets_.empty() && now - buckets_.back().start < kBucket)
      buckets_.back().bytes += bytes;
    else
      buckets_.push_back({now, bytes});
    while (now - buckets_.front().start > window_) buckets_.pop_front();
  }

  // Over the window, or since the oldest bytes in it if they are younger (a transfer
  // that just began), and never over less than a second, which would magnify one piece.
  double rate(Clock::time_point now) const {
    std::uint64_t sum = 0;
    auto from = now;
    for (const auto& bucket : buckets_)
      if (now - bucket.start <= window_) {
        sum += bucket.bytes;
        from = std::min(from, bucket.start);
      }
    if (sum == 0) return 0;
    const double seconds = std::max(std::chrono::duration<double>(now - from).count(), 1.0);
    return static_cast<double>(sum) / seconds;
  }

 private:
  static constexpr Clock::duration kBucket = std::chrono::milliseconds(100);
  struct Bucket {
    Clock::time_point start;
    std::uint64_t bytes = 0;
  };
  Clock::duration window_;
  std::deque<Bucket> buckets_;
};

}  // namespace parley::peer
