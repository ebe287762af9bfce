// A chunk's SHA-256 computed as its pieces arrive, while their bytes are still in cache,
// instead of reading the chunk back from disk afterwards: one pass over the data, not
// two. That works when the pieces come in order, and they do (one source sends a whole
// chunk, in the order it was asked). A piece that does not continue where the previous
// one ended (a gap, an overlap, a piece sent twice) makes the running digest worthless:
// the chunk must then be hashed from disk once its bytes are all written (reread()).
//
// Pure: no I/O.
#pragma once

#include <cstdint>
#include <span>

#include "shared/files/hashing.hpp"

namespace parley::peer {

class ChunkHasher {
 public:
  explicit ChunkHasher(std::uint64_t length) : length_(length) {}

  // A piece at `offset` from the chunk's start; the caller keeps it within the chunk.
  void add(std::uint64_t offset, std::span<const std::uint8_t> piece);
  // Pieces came out of order: only the bytes on disk can tell the digest.
  bool reread() const { return !in_order_; }
  // In order and every byte seen: digest() is the chunk's.
  bool whole() const { return in_order_ && hashed_ == length_; }
  // The digest of what was added; meaningful only when whole().
  files::Digest digest() { return hash_.finish(); }

 private:
  std::uint64_t length_;
  std::uint64_t hashed_ = 0;  // bytes from the chunk's start that went into hash_
  bool in_order_ = true;
  files::Sha256 hash_;
};

}  // namespace parley::peer
