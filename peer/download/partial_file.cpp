#include "peer/download/partial_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "shared/files/bitfield.hpp"
#include "shared/files/file_names.hpp"

namespace parley::peer {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// A rename is durable only once the directory holding it is synced.
void sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open " + dir.string());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail("cannot sync " + dir.string());
}

files::Chunking chunking_of(const FileMeta& meta) {
  if (!files::is_safe_file_name(meta.name)) fail("invalid file name '" + meta.name + "'");
  std::string why;
  auto chunking = files::Chunking::make(meta.size, meta.chunk_count, &why);
  if (!chunking) fail(why);
  if (meta.chunk_hashes.size() != meta.chunk_count) fail("one digest per chunk is needed");
  return *chunking;
}

void write_all(int fd, const void* data, std::size_t size, std::uint64_t offset) {
  auto p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n <= 0) fail("cannot write the partial file");
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

}  // namespace

PartialFile::PartialFile(const std::filesystem::path& dir, FileMeta meta)
    : dir_(dir),
      meta_(std::move(meta)),
      chunking_(chunking_of(meta_)),
      part_path_(dir_ / ("." + meta_.name + ".part")),
      state_path_(dir_ / ("." + meta_.name + ".have")),
      have_((meta_.chunk_count + 7) / 8, '\0') {
  std::filesystem::create_directories(dir_);
  fd_ = ::open(part_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open " + part_path_.string());
  if (::ftruncate(fd_, static_cast<off_t>(meta_.size)) != 0) fail("cannot size " + part_path_.string());

  have_ = verified_chunks(dir_, meta_);
  save_state();
}

std::string PartialFile::verified_chunks(const std::filesystem::path& dir, const FileMeta& meta) {
  const files::Chunking chunking = chunking_of(meta);
  std::string have((meta.chunk_count + 7) / 8, '\0');
  // Trust only what the state file claims for this very file AND what still hashes
  // right on disk.
  std::ifstream in(dir / ("." + meta.name + ".have"), std::ios::binary);
  std::ostringstream saved;
  saved << in.rdbuf();
  const std::string state = saved.str();
  if (state.size() != meta.file_hash.size() + have.size() ||
      state.compare(0, meta.file_hash.size(), meta.file_hash) != 0)
    return have;
  const std::string claimed = state.substr(meta.file_hash.size());
  int fd = ::open((dir / ("." + meta.name + ".part")).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return have;
  try {
    for (std::uint32_t i = 0; i < meta.chunk_count; ++i) {
      if (!files::has_chunk(claimed, i)) continue;
      auto range = chunking.range(i);
      if (hash_range(fd, range.offset, range.length) == meta.chunk_hashes[i])
        have[i / 8] = static_cast<char>(have[i / 8] | (1 << (i % 8)));
    }
  } catch (const std::exception&) {
    // A partial file cut short keeps only what was verified before the cut.
  }
  ::close(fd);
  return have;
}

PartialFile::~PartialFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool PartialFile::has(std::uint32_t chunk) const { return files::has_chunk(have_, chunk); }

bool PartialFile::complete() const { return files::has_all_chunks(have_, meta_.chunk_count); }

void PartialFile::begin(std::uint32_t chunk) {
  if (chunk >= meta_.chunk_count) fail("no such chunk");
  // Writing over a verified chunk would let a lying second source corrupt it in place.
  if (has(chunk)) fail("chunk already verified");
  if (in_progress_.contains(chunk)) fail("chunk already in progress");
  in_progress_.try_emplace(chunk, chunking_.range(chunk).length);
}

void PartialFile::append(std::uint32_t chunk, std::uint64_t offset, std::span<const std::uint8_t> piece) {
  auto it = in_progress_.find(chunk);
  if (it == in_progress_.end()) fail("chunk not begun");
  auto range = chunking_.range(chunk);
  if (offset > range.length || piece.size() > range.length - offset) fail("more bytes than the chunk holds");
  write_all(fd_, piece.data(), piece.size(), range.offset + offset);
  it->second.add(offset, piece);
}

bool PartialFile::end(std::uint32_t chunk) {
  auto it = in_progress_.find(chunk);
  if (it == in_progress_.end()) fail("chunk not begun");
  ChunkHasher hasher = std::move(it->second);
  in_progress_.erase(it);
  const auto range = chunking_.range(chunk);
  files::Digest digest;
  if (hasher.whole())
    digest = hasher.digest();
  else if (hasher.reread())
    digest = hash_range(fd_, range.offset, range.length);
  else
    return false;  // in order but short
  if (digest != meta_.chunk_hashes[chunk]) return false;
  // The bytes must be on disk before the state says so.
  if (::fdatasync(fd_) != 0) fail("cannot sync " + part_path_.string());
  have_[chunk / 8] = static_cast<char>(have_[chunk / 8] | (1 << (chunk % 8)));
  save_state();
  return true;
}

std::size_t PartialFile::read(std::uint32_t chunk, std::uint64_t offset, std::span<std::uint8_t> out) const {
  if (!has(chunk)) fail("chunk not verified");
  auto range = chunking_.range(chunk);
  if (offset >= range.length) return 0;
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), range.length - offset));
  ssize_t n = ::pread(fd_, out.data(), want, static_cast<off_t>(range.offset + offset));
  if (n < 0) fail("cannot read the partial file");
  return static_cast<std::size_t>(n);
}

std::filesystem::path PartialFile::finish() {
  if (!complete()) fail("the download is not complete");
  if (::fsync(fd_) != 0) fail("cannot sync " + part_path_.string());
  auto final_path = dir_ / meta_.name;
  std::filesystem::rename(part_path_, final_path);  // atomic: the name appears whole or not at all
  std::error_code ignored;
  std::filesystem::remove(state_path_, ignored);
  sync_directory(dir_);
  return final_path;
}

files::Digest PartialFile::hash_range(int fd, std::uint64_t offset, std::uint64_t length) {
  files::Sha256 hash;
  std::vector<std::uint8_t> buffer(std::min<std::uint64_t>(length, 1 << 20));
  while (length > 0) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size()));
    ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    if (n <= 0) fail("cannot read the partial file");
    hash.update(std::span(buffer.data(), static_cast<std::size_t>(n)));
    offset += static_cast<std::uint64_t>(n);
    length -= static_cast<std::uint64_t>(n);
  }
  return hash.finish();
}

void PartialFile::save_state() {
  // Written beside, then renamed over: a crash leaves the old state or the new, whole.
  auto temp = state_path_;
  temp += ".new";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot write " + temp.string());
  std::string state = meta_.file_hash + have_;
  write_all(fd, state.data(), state.size(), 0);
  int rc = ::fdatasync(fd);
  ::close(fd);
  if (rc != 0) fail("cannot sync " + temp.string());
  std::filesystem::rename(temp, state_path_);
  sync_directory(dir_);
}

}  // namespace parley::peer
