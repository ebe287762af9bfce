// The file and chunk registry's messages (docs/protocol.md, "Files"), alternatives of
// wire::Message like every other registry message.
#pragma once

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/wire/status.hpp"

namespace parley::wire {

// Digests are raw 32-byte SHA-256 values; chunk numbers are 0-based on the wire.
struct RegisterFile {
  std::uint32_t request = 0;
  std::string name;
  std::uint64_t size = 0;
  std::uint32_t chunk_count = 0;
  std::string file_hash;
  std::vector<std::string> chunk_hashes;
  template <class A>
  void serialize(A& ar) {
    ar(request, name, size, chunk_count, file_hash, chunk_hashes);
  }
};
struct SearchFile {
  std::uint32_t request = 0;
  std::string name;
  bool with_hashes = false;  // a downloader needs them; a search does not
  template <class A>
  void serialize(A& ar) {
    ar(request, name, with_hashes);
  }
};
struct Holder {
  std::string user;
  std::string chunks;  // bitfield, chunk i is bit (i % 8) of byte i / 8
  template <class A>
  void serialize(A& ar) {
    ar(user, chunks);
  }
};
struct FileInfo {  // the reply to SearchFile: the file and its online holders
  std::uint32_t request = 0;
  Status status = Status::ok;
  std::string message;
  std::string name;
  std::uint64_t size = 0;
  std::uint32_t chunk_count = 0;
  std::string file_hash;
  std::vector<std::string> chunk_hashes;  // empty unless asked for
  std::vector<Holder> holders;
  template <class A>
  void serialize(A& ar) {
    ar(request, status, message, name, size, chunk_count, file_hash, chunk_hashes, holders);
  }
};
struct HaveChunks {  // "I hold these chunks of this file now" (a full replacement)
  std::string name;
  std::string chunks;  // bitfield
  template <class A>
  void serialize(A& ar) {
    ar(name, chunks);
  }
};

}  // namespace parley::wire
