// What this peer may serve to others: the files it registered and the files (or parts
// of files) it downloaded, each with where its bytes are and which chunks are verified.
// Nothing outside the catalog is ever read for another peer, whatever they ask for.
//
// Kept in <data-dir>/catalog.json so that after a restart the peer can check its files
// and re-announce what it still holds. Used on the event loop only; the file is small
// (names, paths, digests) and rewritten only when an entry is added or removed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "peer/download/partial_file.hpp"

namespace parley::peer {

struct SharedFile {
  FileMeta meta;
  std::filesystem::path path;  // the shared file, a finished download, or a download's .part
  bool partial = false;        // path is a .part file: only the `have` chunks are valid there
  std::string have;            // verified chunks (bitfield); not persisted: re-checked at start
  // For the quick "unchanged" check of a whole file (size and modification time, as
  // BitTorrent clients do); a file that changed is hashed again.
  std::int64_t mtime_ns = 0;
  bool checked = false;  // `have` was verified by this run of the program
};

class Catalog {
 public:
  // Loads `file` if it exists; an unreadable catalog is logged and starts empty.
  explicit Catalog(std::filesystem::path file);

  const SharedFile* find(const std::string& name) const;
  SharedFile* find(const std::string& name);
  std::vector<std::string> names() const;
  // Adds or replaces, and saves.
  void put(SharedFile file);
  void erase(const std::string& name);

  // The modification time recorded for quick checks, or nullopt if the file is gone.
  static std::optional<std::int64_t> mtime_ns(const std::filesystem::path& path);

 private:
  void save() const;

  std::filesystem::path file_;
  std::map<std::string, SharedFile> files_;
};

}  // namespace parley::peer
