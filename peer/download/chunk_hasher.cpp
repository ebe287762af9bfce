#include "peer/download/chunk_hasher.hpp"

namespace parley::peer {

void ChunkHasher::add(std::uint64_t offset, std::span<const std::uint8_t> piece) {
  if (!in_order_) return;  // no use hashing what will be read back anyway
  if (offset != hashed_ || piece.size() > length_ - hashed_) {
    in_order_ = false;
    return;
  }
  hash_.update(piece);
  hashed_ += piece.size();
}

}  // namespace parley::peer
