#include <doctest/doctest.h>

#include <numeric>
#include <vector>

#include "peer/download/chunk_hasher.hpp"

using parley::files::sha256;
using parley::peer::ChunkHasher;

namespace {

std::vector<std::uint8_t> bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  std::iota(out.begin(), out.end(), std::uint8_t{7});
  return out;
}

}  // namespace

TEST_CASE("chunk hasher: pieces in order give the chunk's digest without reading it back") {
  const auto chunk = bytes(1000);
  const std::span all(chunk);
  ChunkHasher hasher(chunk.size());
  CHECK_FALSE(hasher.whole());
  hasher.add(0, all.subspan(0, 300));
  hasher.add(300, all.subspan(300, 300));
  CHECK_FALSE(hasher.whole());
  CHECK_FALSE(hasher.reread());
  hasher.add(600, all.subspan(600));
  CHECK(hasher.whole());
  CHECK_FALSE(hasher.reread());
  CHECK(hasher.digest() == sha256(chunk));
}

TEST_CASE("chunk hasher: a short chunk is neither whole nor worth reading back") {
  const auto chunk = bytes(1000);
  ChunkHasher hasher(chunk.size());
  hasher.add(0, std::span(chunk).subspan(0, 999));
  CHECK_FALSE(hasher.whole());
  CHECK_FALSE(hasher.reread());
}

TEST_CASE("chunk hasher: any piece out of order sends the chunk back to disk") {
  const auto chunk = bytes(1000);
  const std::span all(chunk);
  SUBCASE("a gap") {
    ChunkHasher hasher(chunk.size());
    hasher.add(0, all.subspan(0, 100));
    hasher.add(200, all.subspan(200));
    CHECK(hasher.reread());
    CHECK_FALSE(hasher.whole());
    hasher.add(100, all.subspan(100, 100));  // filled in later: still from disk
    CHECK(hasher.reread());
  }
  SUBCASE("a piece again") {
    ChunkHasher hasher(chunk.size());
    hasher.add(0, all.subspan(0, 500));
    hasher.add(0, all.subspan(0, 500));
    CHECK(hasher.reread());
  }
  SUBCASE("the last piece first") {
    ChunkHasher hasher(chunk.size());
    hasher.add(900, all.subspan(900));
    CHECK(hasher.reread());
  }
  SUBCASE("more than the chunk holds") {
    ChunkHasher hasher(500);
    hasher.add(0, all.subspan(0, 501));
    CHECK(hasher.reread());
    CHECK_FALSE(hasher.whole());
  }
}
