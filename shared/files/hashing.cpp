#include "shared/files/hashing.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <utility>

namespace parley::files {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 init failed");
}
Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }
Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
void Sha256::update(std::span<const std::uint8_t> bytes) {
  EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
}
Digest Sha256::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, out, &len);
  EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
  return Digest(reinterpret_cast<char*>(out), len);
}

Digest sha256(std::span<const std::uint8_t> bytes) {
  Sha256 hash;
  hash.update(bytes);
  return hash.finish();
}

FileDigests digest_file(const std::filesystem::path& path, const Chunking& chunking) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string());
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  FileDigests out;
  Sha256 whole, chunk;
  std::vector<std::uint8_t> buffer(1 << 20);
  std::uint64_t total = 0;
  for (std::uint32_t i = 0; i < chunking.count(); ++i) {
    std::uint64_t left = chunking.range(i).length;
    while (left > 0) {
      ssize_t n = ::read(fd, buffer.data(), std::min<std::uint64_t>(left, buffer.size()));
      if (n < 0) throw std::runtime_error("cannot read " + path.string());
      if (n == 0) throw std::runtime_error(path.string() + " is shorter than expected");
      std::span<const std::uint8_t> piece(buffer.data(), static_cast<std::size_t>(n));
      chunk.update(piece);
      whole.update(piece);
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
