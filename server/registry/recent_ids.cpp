#include "server/registry/recent_ids.hpp"

#include <algorithm>

namespace parley::server {

std::int64_t RecentIds::find(std::uint64_t key) const {
  const std::uint16_t tag = tag_of(key);
  // Written so that it compiles to pcmpeqw/por over eight tags at a time, no branch.
  std::uint16_t any = 0;
  for (const std::uint16_t t : tags_) any |= static_cast<std::uint16_t>(t == tag ? 0xffff : 0);
  if (any == 0) return 0;
  // A key remembered again is known by its newest seq (seqs only grow; forgotten: 0).
  std::int64_t seq = 0;
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] == key) seq = std::max(seq, seqs_[i]);
  return seq;
}

void RecentIds::remember(std::uint64_t key, std::int64_t seq) {
  if (tags_.size() < kCapacity) {
    tags_.push_back(tag_of(key));
    keys_.push_back(key);
    seqs_.push_back(seq);
    return;
  }
  tags_[next_] = tag_of(key);
  keys_[next_] = key;
  seqs_[next_] = seq;
  next_ = (next_ + 1) % kCapacity;
}

void RecentIds::forget(std::uint64_t key) {
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] == key) seqs_[i] = 0;
}

}  // namespace parley::server
