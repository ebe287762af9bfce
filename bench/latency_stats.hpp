// Latency percentiles for the load generator. A fixed log-linear histogram instead of a
// list of samples: a fan-out run delivers millions of messages, and keeping each latency
// would make the load generator's own memory grow with the run. Pure, no clocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace parley::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();

  // Negative latencies (impossible on one steady clock) count as zero.
  void record(std::chrono::nanoseconds latency);

  std::uint64_t count() const { return count_; }
  // Nearest-rank percentile, 0 < p <= 100: within 1% of the exact sample (exact below
  // 128 ns), never above max(), and exactly max() for the top rank. Zero when nothing
  // was recorded.
  std::chrono::nanoseconds percentile(double p) const;
  std::chrono::nanoseconds max() const { return std::chrono::nanoseconds(max_); }

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0;
};

// Milliseconds as a double, for the RESULT line.
double to_ms(std::chrono::nanoseconds latency);

}  // namespace parley::bench
