#include "shared/files/hashing.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

namespace parley::files {
namespace {

struct MdCtx {
  MdCtx() : ctx(EVP_MD_CTX_new()) {
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("SHA-256 init failed");
  }
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
  MdCtx(const MdCtx&) = delete;
  MdCtx& operator=(const MdCtx&) = delete;
  void update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx, data, n); }
  Digest finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, out, &len);
    return Digest(reinterpret_cast<char*>(out), len);
  }
  void restart() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  EVP_MD_CTX* ctx;
};

}  // namespace

Digest sha256(std::span<const std::uint8_t> bytes) {
  MdCtx md;
  md.update(bytes.data(), bytes.size());
  return md.finish();
}

FileDigests digest_file(const std::filesystem::path& path, const Chunking& chunking) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string());
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  FileDigests out;
  MdCtx whole, chunk;
  std::vector<std::uint8_t> buffer(1 << 20);
  std::uint64_t total = 0;
  for (std::uint32_t i = 0; i < chunking.count(); ++i) {
    chunk.restart();
    std::uint64_t left = chunking.range(i).length;
    while (left > 0) {
      ssize_t n = ::read(fd, buffer.data(), std::min<std::uint64_t>(left, buffer.size()));
      if (n < 0) throw std::runtime_error("cannot read " + path.string());
      if (n == 0) throw std::runtime_error(path.string() + " is shorter than expected");
      chunk.update(buffer.data(), static_cast<std::size_t>(n));
      whole.update(buffer.data(), static_cast<std::size_t>(n));
      left -= static_cast<std::uint64_t>(n);
      total += static_cast<std::uint64_t>(n);
    }
    out.chunks.push_back(chunk.finish());
  }
  if (::read(fd, buffer.data(), 1) != 0 || total != chunking.size())
    throw std::runtime_error(path.string() + " changed size while it was being read");
  out.file = whole.finish();
  return out;
}

}  // namespace parley::files
