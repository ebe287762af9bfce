#include "bench/latency_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace parley::bench {
namespace {

// Values below 2^kSubBits ns get a bucket each; above, every power of two is split into
// 2^kSubBits buckets, so a bucket is never wider than 1/128 of its values (< 0.8 %).
constexpr int kSubBits = 7;
constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBits;
// 2^47 ns is about 39 hours: far longer than any latency worth telling apart.
constexpr int kTopBit = 47;
constexpr std::uint64_t kLargest = (std::uint64_t{1} << (kTopBit + 1)) - 1;
constexpr std::size_t kBuckets = static_cast<std::size_t>(kTopBit - kSubBits + 2) * kSub;

std::size_t bucket_of(std::uint64_t v) {
  if (v < kSub) return static_cast<std::size_t>(v);
  const int msb = std::bit_width(v) - 1;
  const int group = msb - kSubBits + 1;
  const std::uint64_t mantissa = v >> (msb - kSubBits);  // in [kSub, 2 * kSub)
  return static_cast<std::size_t>(group) * kSub + static_cast<std::size_t>(mantissa - kSub);
}

// The middle of a bucket's range of values.
std::uint64_t value_of(std::size_t bucket) {
  if (bucket < kSub) return bucket;
  const std::size_t group = bucket / kSub;
  const std::uint64_t mantissa = kSub + bucket % kSub;
  const int shift = static_cast<int>(group) - 1;
  const std::uint64_t low = mantissa << shift;
  const std::uint64_t width = std::uint64_t{1} << shift;
  return low + (width - 1) / 2;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

void LatencyHistogram::record(std::chrono::nanoseconds latency) {
  const std::int64_t ns = std::max<std::int64_t>(latency.count(), 0);
  const std::uint64_t v = std::min(static_cast<std::uint64_t>(ns), kLargest);
  ++buckets_[bucket_of(v)];
  ++count_;
  max_ = std::max(max_, static_cast<std::int64_t>(v));
}

std::chrono::nanoseconds LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return std::chrono::nanoseconds(0);
  const double clamped = std::clamp(p, 0.0, 100.0);
  // The epsilon keeps 99.9 % of 1000 at rank 999: in binary it computes as 999.0000000000001.
  auto rank = static_cast<std::uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(count_) - 1e-9));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  if (rank == count_) return max();  // the largest sample is known exactly
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      const auto v = static_cast<std::int64_t>(value_of(b));
      return std::chrono::nanoseconds(std::min(v, max_));
    }
  }
  return max();
}

double to_ms(std::chrono::nanoseconds latency) { return static_cast<double>(latency.count()) / 1e6; }

}  // namespace parley::bench
