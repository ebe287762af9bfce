#include "shared/files/chunking.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace parley::files {

std::optional<Chunking> Chunking::make(std::uint64_t size, std::uint32_t chunks, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Chunking> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (size == 0) return fail("the file is empty");
  if (chunks < 1) return fail("the number of chunks must be at least 1");
  if (chunks > size) return fail(fmt::format("{} chunks is more than the file's {} bytes", chunks, size));
  if (chunks > kMaxChunks)
    return fail(fmt::format("{} chunks is more than the maximum of {}", chunks, kMaxChunks));
  return Chunking(size, chunks);
}

Chunking::Chunking(std::uint64_t size, std::uint32_t count)
    : size_(size), count_(count), chunk_size_((size + count - 1) / count) {}

ChunkRange Chunking::range(std::uint32_t index) const {
  std::uint64_t offset = std::min<std::uint64_t>(std::uint64_t{index} * chunk_size_, size_);
  return ChunkRange{offset, std::min(chunk_size_, size_ - offset)};
}

}  // namespace parley::files
