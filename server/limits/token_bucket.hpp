// A token bucket: `burst` tokens at most, refilled at `per_second`. Pure (the caller
// passes the time), so the arithmetic is tested without clocks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace parley::server::limits {

class TokenBucket {
 public:
  // A rate of 0 means no limit. The bucket starts full: a fresh user may burst at once.
  TokenBucket(double per_second = 0, double burst = 1)
      : per_ms_(per_second / 1000.0), burst_(std::max(burst, 1.0)), tokens_(burst_) {}

  bool unlimited() const { return per_ms_ <= 0; }

  // Takes `n` tokens if they are there; otherwise takes none and returns false.
  bool take(std::int64_t now_ms, double n = 1) {
    if (unlimited()) return true;
    refill(now_ms);
    if (tokens_ + 1e-9 < n) return false;
    tokens_ -= n;
    return true;
  }

  // Milliseconds until `n` tokens are there (0: now). A request larger than the burst
  // is answered as if it asked for the whole burst: it can never get more at once.
  std::int64_t wait_ms(std::int64_t now_ms, double n = 1) {
    if (unlimited()) return 0;
    refill(now_ms);
    const double missing = std::min(n, burst_) - tokens_;
    return missing <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(missing / per_ms_));
  }

  // Full and nothing owed: the bucket can be forgotten without changing any answer.
  bool full(std::int64_t now_ms) {
    refill(now_ms);
    return tokens_ >= burst_;
  }

 private:
  void refill(std::int64_t now_ms) {
    if (now_ms > last_ms_) {
      tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * per_ms_);
      last_ms_ = now_ms;
    }
  }

  double per_ms_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_ = 0;
};

}  // namespace parley::server::limits
