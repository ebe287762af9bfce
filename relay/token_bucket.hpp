// A token bucket for bandwidth caps: `rate` bytes per second, up to `burst` saved up.
// Pure: the caller passes the time. A rate of 0 means no cap.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace parley::relay {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate, double burst, Clock::time_point now)
      : rate_(rate), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

  bool unlimited() const { return rate_ <= 0; }
  // Bytes available now.
  double available(Clock::time_point now) {
    if (unlimited()) return 1e18;
    refill(now);
    return tokens_;
  }
  void take(std::size_t bytes) {
    if (!unlimited()) tokens_ -= static_cast<double>(bytes);
  }
  // How long until `bytes` (capped at the burst) are available.
  Clock::duration wait_for(std::size_t bytes, Clock::time_point now) {
    if (unlimited()) return Clock::duration::zero();
    refill(now);
    const double want = std::min(static_cast<double>(bytes), burst_);
    if (tokens_ >= want) return Clock::duration::zero();
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>((want - tokens_) / rate_));
  }

 private:
  void refill(Clock::time_point now) {
    if (now <= last_) return;
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace parley::relay
