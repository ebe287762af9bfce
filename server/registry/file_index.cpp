#include "server/registry/file_index.hpp"

#include <fmt/format.h>

#include "shared/files/bitfield.hpp"
#include "shared/wire/limits.hpp"

namespace parley::server {

FileIndex::Registration FileIndex::register_file(const std::string& owner, const wire::RegisterFile& request,
                                                 std::int64_t now_ms) {
  Registration out;
  if (files_.contains(request.name)) {
    out.status = wire::Status::already_registered;
    out.message = fmt::format("a file named '{}' is already registered", request.name);
    return out;
  }
  Entry entry;
  entry.meta = StoredFile{request.name,         owner, request.size, request.chunk_count, request.file_hash,
                          request.chunk_hashes, now_ms};
  entry.holders[owner] = files::full_bitfield(request.chunk_count);
  out.writes.push_back(op::PutFile{entry.meta});
  entry.meta.chunk_hashes = {};  // on disk only: the store reads them when asked
  out.writes.push_back(op::SetHolding{StoredHolding{request.name, owner, entry.holders[owner]}});
  out.message =
      fmt::format("{} is registered: {} bytes in {} chunks", request.name, request.size, request.chunk_count);
  count_owned(entry.meta);
  files_.emplace(request.name, std::move(entry));
  return out;
}

std::vector<WriteOp> FileIndex::set_holding(const std::string& user, const wire::HaveChunks& have) {
  auto it = files_.find(have.name);
  if (it == files_.end()) return {};
  const std::uint32_t count = it->second.meta.chunk_count;
  if (have.chunks.size() != (count + 7) / 8) return {};
  std::string bits = have.chunks;
  // Bits past the last chunk mean nothing: clear them so equal holdings compare equal.
  if (count % 8 != 0) bits.back() = static_cast<char>(bits.back() & ((1 << (count % 8)) - 1));
  bool none = bits.find_first_not_of('\0') == std::string::npos;
  auto& holders = it->second.holders;
  if (none) {
    if (holders.erase(user) == 0) return {};
  } else {
    auto [slot, inserted] = holders.try_emplace(user, bits);
    if (!inserted && slot->second == bits) return {};  // nothing new
    slot->second = bits;
  }
  return {op::SetHolding{StoredHolding{have.name, user, none ? std::string(bits.size(), '\0') : bits}}};
}

std::vector<WriteOp> FileIndex::drop_holder(const std::string& user) {
  std::vector<WriteOp> out;
  for (auto& [name, entry] : files_) {
    auto it = entry.holders.find(user);
    if (it == entry.holders.end()) continue;
    out.push_back(op::SetHolding{StoredHolding{name, user, std::string(it->second.size(), '\0')}});
    entry.holders.erase(it);
  }
  return out;
}

wire::FileInfo FileIndex::info(std::uint32_t request, const std::string& name,
                               const std::function<bool(const std::string&)>& listed) const {
  wire::FileInfo info;
  info.request = request;
  info.name = name;
  auto it = files_.find(name);
  if (it == files_.end()) {
    info.status = wire::Status::unknown_file;
    info.message = fmt::format("no file named '{}' is registered", name);
    return info;
  }
  const StoredFile& meta = it->second.meta;
  info.size = meta.size;
  info.chunk_count = meta.chunk_count;
  info.file_hash = meta.file_hash;
  for (const auto& [user, bits] : it->second.holders) {
    if (info.holders.size() == wire::kMaxHolders) break;
    if (listed(user)) info.holders.push_back(wire::Holder{user, bits});
  }
  return info;
}

void FileIndex::restore(const PersistedState& state) {
  for (const auto& f : state.files) {
    files_[f.name].meta = f;
    count_owned(f);
  }
  for (const auto& h : state.holdings)
    if (auto it = files_.find(h.name); it != files_.end()) it->second.holders[h.user] = h.chunks;
}

void FileIndex::count_owned(const StoredFile& meta) {
  auto& owned = owned_[meta.owner];
  ++owned.files;
  owned.chunks += meta.chunk_count;
}

}  // namespace parley::server
