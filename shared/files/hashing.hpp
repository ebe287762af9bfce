// SHA-256 of files and byte ranges, streamed through a fixed buffer: memory does not
// grow with the file. Blocking file I/O: call from a worker thread, never the event loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "shared/files/chunking.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace parley::files {

using Digest = std::string;  // 32 raw bytes

Digest sha256(std::span<const std::uint8_t> bytes);

// SHA-256 fed in pieces: chunks arrive over the network in pieces, and a whole chunk
// never needs to be in memory.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&&) = delete;
  Sha256(const Sha256&) = delete;
  void update(std::span<const std::uint8_t> bytes);
  Digest finish();  // then reset for reuse

 private:
  ::evp_md_ctx_st* ctx_;
};

struct FileDigests {
  Digest file;
  std::vector<Digest> chunks;
};

// One pass over the file: every chunk's digest and the whole file's. Throws
// std::runtime_error if the file cannot be read or its size differs from `chunking`.
FileDigests digest_file(const std::filesystem::path& path, const Chunking& chunking);

}  // namespace parley::files
