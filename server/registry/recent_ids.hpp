// One sender's latest message ids (64-bit digests) and the seq each got, so that a
// resend is recognised; the oldest is forgotten first once kCapacity are held.
//
// Looked up for every message, so laid out for that: a 16-bit tag per id in a row of its
// own, scanned without a branch (eight tags per SSE2 compare, 512 bytes that the
// prefetcher streams), and the full digests read only where a tag matched, about one
// lookup in 256 by chance. A hash table was tried: its three random probes per message
// (find, evict the oldest, insert) missed the cache more often than this scan does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley::server {

class RecentIds {
 public:
  static constexpr std::size_t kCapacity = 256;

  // The seq remembered for `key`, 0 if none.
  std::int64_t find(std::uint64_t key) const;
  // `key` is the sender's newest message; the oldest is forgotten if kCapacity are held.
  void remember(std::uint64_t key, std::int64_t seq);
  // A resend of `key` is a new message from now on.
  void forget(std::uint64_t key);

 private:
  static std::uint16_t tag_of(std::uint64_t key) { return static_cast<std::uint16_t>(key >> 48); }

  std::vector<std::uint16_t> tags_;  // parallel rows, oldest at next_ once full
  std::vector<std::uint64_t> keys_;
  std::vector<std::int64_t> seqs_;  // 0: forgotten
  std::size_t next_ = 0;
};

}  // namespace parley::server
