// A download on disk. "<dir>/.<name>.part" holds the bytes at their final offsets and
// "<dir>/.<name>.have" the digest of the file it belongs to plus the bitfield of
// verified chunks. Chunks stream in as pieces, hashed as they are written (ChunkHasher),
// so memory does not depend on chunk size and each byte is hashed once. A chunk counts
// only once its digest matched and its bytes are on disk (fdatasync before the bit is
// recorded), so an interrupted download resumes without refetching what was verified.
// When every chunk is there, the file is renamed into place atomically. The whole-file
// digest is not computed again: every byte is covered by a chunk digest from the same
// registration, so a second pass over the file would only cost time.
//
// Blocking file I/O: use from a worker thread, never the event loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "peer/download/chunk_hasher.hpp"
#include "shared/files/chunking.hpp"
#include "shared/files/hashing.hpp"

namespace parley::peer {

struct FileMeta {
  std::string name;  // a safe file name (files::is_safe_file_name)
  std::uint64_t size = 0;
  std::uint32_t chunk_count = 0;
  files::Digest file_hash;
  std::vector<files::Digest> chunk_hashes;
};

class PartialFile {
 public:
  // Creates, or resumes (re-verifying every chunk the state file claims). Throws
  // std::runtime_error on a bad name or metadata, or I/O errors.
  PartialFile(const std::filesystem::path& dir, FileMeta meta);
  ~PartialFile();
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  // The chunks a download in `dir` has verified, checked again on disk, without
  // changing anything there: safe while that download is running.
  static std::string verified_chunks(const std::filesystem::path& dir, const FileMeta& meta);

  const FileMeta& meta() const { return meta_; }
  const files::Chunking& chunking() const { return chunking_; }
  bool has(std::uint32_t chunk) const;
  const std::string& have() const { return have_; }  // bitfield
  bool complete() const;

  // One chunk: begin, append its pieces, end. Several chunks may be in progress at once
  // (different sources). Pieces in order are hashed as they are written; out of order,
  // end() hashes the chunk from disk instead.
  void begin(std::uint32_t chunk);
  // `offset` is from the chunk's start; throws if the piece reaches past the chunk's end.
  void append(std::uint32_t chunk, std::uint64_t offset, std::span<const std::uint8_t> piece);
  // True when the digest matched: the chunk is recorded. False: it is discarded.
  bool end(std::uint32_t chunk);
  // The source went away mid-chunk: forget what it wrote, so another may begin again.
  void abandon(std::uint32_t chunk) { in_progress_.erase(chunk); }
  // Where the bytes are until finish(): verified chunks may be read from it by others.
  const std::filesystem::path& part_path() const { return part_path_; }

  // Reads from a verified chunk, for serving it to others.
  std::size_t read(std::uint32_t chunk, std::uint64_t offset, std::span<std::uint8_t> out) const;

  // Renames into <dir>/<name>. Throws if incomplete.
  std::filesystem::path finish();

 private:
  void save_state();
  static files::Digest hash_range(int fd, std::uint64_t offset, std::uint64_t length);

  std::filesystem::path dir_;
  FileMeta meta_;
  files::Chunking chunking_;
  std::filesystem::path part_path_;
  std::filesystem::path state_path_;
  int fd_ = -1;
  std::string have_;
  std::map<std::uint32_t, ChunkHasher> in_progress_;
};

}  // namespace parley::peer
