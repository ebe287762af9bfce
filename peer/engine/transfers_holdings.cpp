// What this peer shares: registering files, and telling the registry after each login
// which chunks it still holds.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "peer/engine/transfers.hpp"
#include "shared/files/bitfield.hpp"
#include "shared/files/chunking.hpp"
#include "shared/files/file_names.hpp"
#include "shared/files/hashing.hpp"
#include "shared/util/hex.hpp"

namespace parley::peer {
namespace {

namespace fs = std::filesystem;

// Which chunks of `file` are still as registered (runs on a disk thread). A whole file
// whose size and modification time are unchanged is trusted without reading it.
std::optional<std::pair<std::string, std::int64_t>> check_holding(const SharedFile& file) {
  if (file.partial) {
    if (!fs::exists(file.path)) return std::nullopt;
    // Read-only: a download of the same file may be starting at this very moment.
    return std::pair{PartialFile::verified_chunks(file.path.parent_path(), file.meta), std::int64_t{0}};
  }
  std::error_code ec;
  auto size = fs::file_size(file.path, ec);
  auto mtime = Catalog::mtime_ns(file.path);
  if (ec || !mtime || size != file.meta.size) return std::nullopt;
  if (*mtime == file.mtime_ns) return std::pair{files::full_bitfield(file.meta.chunk_count), *mtime};
  auto chunking = files::Chunking::make(file.meta.size, file.meta.chunk_count);
  auto digests = files::digest_file(file.path, *chunking);
  std::string have((file.meta.chunk_count + 7) / 8, '\0');
  for (std::uint32_t i = 0; i < file.meta.chunk_count; ++i)
    if (digests.chunks[i] == file.meta.chunk_hashes[i])
      have[i / 8] = static_cast<char>(have[i / 8] | (1 << (i % 8)));
  return std::pair{have, *mtime};
}

// The file `name` really in the share folder (a symbolic link may point anywhere), or
// nullopt and why not.
std::optional<fs::path> shared_file(const fs::path& share_dir, const std::string& name, std::string* why) {
  if (!files::is_safe_file_name(name)) {
    *why = fmt::format(
        "'{}' is not the name of a file in your share folder (no '/', no '..', no leading '.')", name);
    return std::nullopt;
  }
  std::error_code ec;
  const fs::path share = fs::canonical(share_dir, ec);
  if (ec) {
    *why = fmt::format("the share folder {} does not exist", share_dir.string());
    return std::nullopt;
  }
  const fs::path path = share / name;
  if (!fs::exists(fs::symlink_status(path, ec))) {
    *why = fmt::format("no such file '{}' in the share folder", name);
    return std::nullopt;
  }
  const fs::path real = fs::canonical(path, ec);
  if (ec || real.parent_path() != share) {
    *why = fmt::format("'{}' leads outside the share folder", name);
    return std::nullopt;
  }
  if (!fs::is_regular_file(real, ec)) {
    *why = fmt::format("'{}' is not a regular file", name);
    return std::nullopt;
  }
  return real;
}

}  // namespace

asio::awaitable<bool> Transfers::register_file(const cmd::Register& c) {
  const std::string command = "register";
  std::string why;
  const auto found = shared_file(config_.share_dir, c.file, &why);
  if (!found) {
    error(command, why);
    co_return false;
  }
  const fs::path real = *found;
  std::error_code ec;
  auto chunking = files::Chunking::make(fs::file_size(real, ec), c.chunks, &why);
  if (!chunking) {
    error(command, fmt::format("cannot cut '{}' into {} chunks: {}", c.file, c.chunks, why));
    co_return false;
  }
  const auto mtime = Catalog::mtime_ns(real);

  // Hashing reads the whole file: a worker thread does it while the shell stays live.
  files::FileDigests digests;
  try {
    const auto executor = workers_.get_executor();
    const auto hash = [real, chunking = *chunking] { return files::digest_file(real, chunking); };
    digests = co_await net::run_on(executor, hash);
  } catch (const std::exception& e) {
    error(command, e.what());
    co_return false;
  }
  const wire::Message message =
      wire::RegisterFile{0, c.file, chunking->size(), chunking->count(), digests.file, digests.chunks};
  auto reply = co_await session_.client().call(message);
  if (!reply) {
    error(command, "no reply from the server");
    co_return false;
  }
  if (auto* r = std::get_if<wire::Result>(&*reply); r && r->status == wire::Status::ok) {
    // From now on the file may be served: the server lists us as holding every chunk.
    catalog_.put(
        SharedFile{FileMeta{c.file, chunking->size(), chunking->count(), digests.file, digests.chunks}, real,
                   false, files::full_bitfield(chunking->count()), mtime.value_or(0), true});
    emit_(ev::Registered{c.file, chunking->count(), chunking->size(), to_hex(digests.file)});
    co_return true;
  }
  auto* refused = std::get_if<wire::Result>(&*reply);
  error(command, refused ? refused->message : "unexpected reply from the server");
  co_return false;
}

void Transfers::on_have(const FileMeta& meta, const fs::path& path, const std::string& have, bool complete) {
  SharedFile* entry = catalog_.find(meta.name);
  if (complete || !entry || entry->path != path) {
    catalog_.put(
        SharedFile{meta, path, !complete, have, complete ? Catalog::mtime_ns(path).value_or(0) : 0, true});
  } else {
    entry->have = have;  // the .have file beside the download is what survives a restart
  }
  if (session_.up()) session_.client().send(wire::HaveChunks{meta.name, have});
}

// The server forgot what we held when we logged in: tell it again, after checking on a
// disk thread that each file is still there and unchanged.
asio::awaitable<void> Transfers::announce_holdings() {
  // A login while a round is under way: what that round told went to the old session,
  // so it goes round once more.
  if (announcing_) {
    announce_again_ = true;
    co_return;
  }
  announcing_ = true;
  do {
    announce_again_ = false;
    co_await announce_round();
  } while (announce_again_ && session_.up());
  announcing_ = false;
}

asio::awaitable<void> Transfers::announce_round() {
  const auto disk = workers_.get_executor();
  for (const auto& name : catalog_.names()) {
    const SharedFile* entry = catalog_.find(name);
    if (!entry) continue;
    bool busy = std::any_of(downloads_.begin(), downloads_.end(), [&](const auto& d) {
      return d->file() == name && d->state() == Download::State::running;
    });
    if (!entry->checked && !busy) {
      const SharedFile copy = *entry;
      std::optional<std::pair<std::string, std::int64_t>> checked;
      try {
        const auto check = [copy] { return check_holding(copy); };
        checked = co_await net::run_on(disk, check);
      } catch (const std::exception& e) {
        spdlog::warn("cannot check {}: {}", copy.path.string(), e.what());
      }
      // A download may have started, moved or finished this file while it was being
      // checked: then the download keeps the entry and announces it itself.
      const SharedFile* now = catalog_.find(name);
      if (!now || now->checked || now->path != copy.path || now->partial != copy.partial) continue;
      if (!checked || checked->first.find_first_not_of('\0') == std::string::npos) {
        spdlog::info("no longer sharing {}: {} is gone or changed", name, copy.path.string());
        catalog_.erase(name);
        continue;
      }
      SharedFile updated = copy;
      updated.have = checked->first;
      updated.checked = true;
      if (!copy.partial) updated.mtime_ns = checked->second;
      if (!copy.partial && !files::has_all_chunks(updated.have, copy.meta.chunk_count))
        spdlog::warn("{} changed since it was registered: sharing only the chunks that still match", name);
      catalog_.put(std::move(updated));
      entry = catalog_.find(name);
      if (!entry) continue;
    }
    if (session_.up() && entry->have.find_first_not_of('\0') != std::string::npos)
      session_.client().send(wire::HaveChunks{name, entry->have});
  }
}

std::vector<std::string> Transfers::file_names() const {
  std::vector<std::string> names = catalog_.names();
  std::error_code ec;
  for (fs::directory_iterator it(config_.share_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && files::is_safe_file_name(it->path().filename().string()))
      names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace parley::peer
