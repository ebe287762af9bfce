#include "shared/files/chunking.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

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
    : size_(size), count_(count), base_(size / count), extra_(size % count) {}

ChunkRange Chunking::range(std::uint32_t index) const {
  std::uint64_t i = index;
  return ChunkRange{i * base_ + std::min(i, extra_), base_ + (i < extra_ ? 1 : 0)};
}

}  // namespace parley::files
