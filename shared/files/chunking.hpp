// How a file is cut into chunks: N chunks as equal as can be (the first size % N
// chunks one byte longer), so no chunk is ever empty. Pure arithmetic, shared by the
// registering peer, the server's checks and the downloader, so all three agree on
// every byte range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace parley::files {

// A documented maximum: keeps a file's metadata (one SHA-256 per chunk) within a frame.
inline constexpr std::uint32_t kMaxChunks = 1024;

struct ChunkRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

class Chunking {
 public:
  // nullopt (with `error` set) unless 1 <= chunks <= min(size, kMaxChunks).
  static std::optional<Chunking> make(std::uint64_t size, std::uint32_t chunks, std::string* error = nullptr);

  std::uint64_t size() const { return size_; }
  std::uint32_t count() const { return count_; }
  std::uint64_t chunk_size() const { return base_ + (extra_ > 0 ? 1 : 0); }  // the longest
  // `index` is 0-based and must be < count().
  ChunkRange range(std::uint32_t index) const;

 private:
  Chunking(std::uint64_t size, std::uint32_t count);
  std::uint64_t size_;
  std::uint32_t count_;
  std::uint64_t base_;   // size / count
  std::uint64_t extra_;  // size % count: how many chunks get one more byte
};

}  // namespace parley::files
