// When to give freed memory back to the system. glibc keeps the heap a crowd (or a flood)
// of connections grew to long after they left: 3,000 idle clients leave the server at
// 62 MB instead of 13. Once the connections have fallen to half their peak, by enough to
// matter, the next sweep trims (malloc_trim: a few milliseconds, once per such drop).
// Pure: the server reports its connection count, and asks.
#pragma once

#include <algorithm>
#include <cstddef>

namespace parley::server::limits {

class MemoryTrim {
 public:
  explicit MemoryTrim(std::size_t min_drop = 256) : min_drop_(min_drop) {}

  // A connection was accepted: `connections` are held now.
  void note(std::size_t connections) { peak_ = std::max(peak_, connections); }
  // At a sweep: true if the memory should be trimmed now.
  bool due(std::size_t connections) {
    note(connections);
    if (peak_ - connections < min_drop_ || connections > peak_ / 2) return false;
    peak_ = connections;
    return true;
  }

 private:
  std::size_t min_drop_;
  std::size_t peak_ = 0;
};

}  // namespace parley::server::limits
