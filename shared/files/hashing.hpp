// SHA-256 of files and byte ranges, streamed through a fixed buffer: memory does not
// grow with the file. Blocking file I/O: call from a worker thread, never the event loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "shared/files/chunking.hpp"

namespace parley::files {

using Digest = std::string;  // 32 raw bytes

Digest sha256(std::span<const std::uint8_t> bytes);

struct FileDigests {
  Digest file;
  std::vector<Digest> chunks;
};

// One pass over the file: every chunk's digest and the whole file's. Throws
// std::runtime_error if the file cannot be read or its size differs from `chunking`.
FileDigests digest_file(const std::filesystem::path& path, const Chunking& chunking);

}  // namespace parley::files
