// The file and chunk registry: which files exist, as their registering peer described
// them, and which chunks each user holds. Pure state like Registry (which owns it): no
// I/O; changes come back as store writes for the caller to commit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/limits/fair_use.hpp"
#include "server/storage/store.hpp"
#include "shared/wire/messages.hpp"

namespace parley::server {

class FileIndex {
 public:
  struct Registration {
    wire::Status status = wire::Status::ok;
    std::string message;
    std::vector<WriteOp> writes;
  };
  // The owner holds every chunk from the start.
  Registration register_file(const std::string& owner, const wire::RegisterFile& request,
                             std::int64_t now_ms);

  // Replaces what `user` holds of a file. Announcements for unknown files, or with a
  // bitfield of the wrong size, change nothing.
  std::vector<WriteOp> set_holding(const std::string& user, const wire::HaveChunks& have);

  // Forgets everything `user` holds (they log in and will re-announce what they still have).
  std::vector<WriteOp> drop_holder(const std::string& user);

  // The file and its holders that `listed` accepts (online, not hiding from the asker),
  // or status unknown_file. Never the chunk digests: they stay on disk (Store::fetch_chunk_hashes).
  wire::FileInfo info(std::uint32_t request, const std::string& name,
                      const std::function<bool(const std::string&)>& listed) const;

  void restore(const PersistedState& state);

  // What `user` registered (for the per-user quotas).
  limits::Owned owned_by(const std::string& user) const {
    auto it = owned_.find(user);
    return it == owned_.end() ? limits::Owned{} : it->second;
  }

 private:
  struct Entry {
    StoredFile meta;
    std::map<std::string, std::string> holders;  // user -> bitfield, sorted for stable output
  };
  void count_owned(const StoredFile& meta);

  std::unordered_map<std::string, Entry> files_;
  std::unordered_map<std::string, limits::Owned> owned_;  // by owner
};

}  // namespace parley::server
