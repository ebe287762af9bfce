// Sharing and downloading files: register, searchFile/searchChunk answers, download and
// downloads, serving chunks to others, and re-announcing what this peer holds.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>

#include "peer/shell/app.hpp"
#include "peer/shell/line_editor.hpp"
#include "shared/files/bitfield.hpp"
#include "shared/files/chunking.hpp"
#include "shared/files/file_names.hpp"
#include "shared/files/hashing.hpp"
#include "shared/net/async.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/overloaded.hpp"

namespace parley::peer {
namespace {

namespace fs = std::filesystem;

std::string hex_of(const std::string& raw) {
  return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
}

DownloadView view_of(const Download& d) {
  DownloadView v;
  v.file = d.file();
  // Running but not started: still asking the server and opening the partial file.
  v.state = d.state() == Download::State::running && !d.started() ? "starting" : to_string(d.state());
  v.done = d.done();
  v.total = d.total();
  v.bytes = d.bytes();
  v.total_bytes = d.total_bytes();
  v.rate = d.rate();
  v.path = d.path().string();
  v.error = d.error();
  v.sha256 = d.sha256().empty() ? "" : hex_of(d.sha256());
  v.sources = d.sources();
  v.resumed = d.resumed();
  v.fetched = d.fetched();
  return v;
}

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

}  // namespace

asio::awaitable<void> App::register_file(const cmd::Register& c) {
  const std::string command = "register";
  if (!files::is_safe_file_name(c.file)) {
    output_.error(command, fmt::format("'{}' is not the name of a file in your share folder "
                                       "(no '/', no '..', no leading '.')",
                                       c.file));
    co_return;
  }
  std::error_code ec;
  const fs::path share = fs::canonical(config_.share_dir, ec);
  if (ec) {
    output_.error(command, fmt::format("the share folder {} does not exist", config_.share_dir.string()));
    co_return;
  }
  const fs::path path = share / c.file;
  if (!fs::exists(fs::symlink_status(path, ec))) {
    output_.error(command, fmt::format("no such file '{}' in the share folder", c.file));
    co_return;
  }
  // A symbolic link may point anywhere: only what really lies in the share folder is shared.
  const fs::path real = fs::canonical(path, ec);
  if (ec || real.parent_path() != share) {
    output_.error(command, fmt::format("'{}' leads outside the share folder", c.file));
    co_return;
  }
  if (!fs::is_regular_file(real, ec)) {
    output_.error(command, fmt::format("'{}' is not a regular file", c.file));
    co_return;
  }
  std::string why;
  auto chunking = files::Chunking::make(fs::file_size(real, ec), c.chunks, &why);
  if (!chunking) {
    output_.error(command, fmt::format("cannot cut '{}' into {} chunks: {}", c.file, c.chunks, why));
    co_return;
  }
  const auto mtime = Catalog::mtime_ns(real);

  // Hashing reads the whole file: a worker thread does it while the shell stays live.
  files::FileDigests digests;
  try {
    const auto executor = workers_.get_executor();
    const auto hash = [real, chunking = *chunking] { return files::digest_file(real, chunking); };
    digests = co_await net::run_on(executor, hash);
  } catch (const std::exception& e) {
    output_.error(command, e.what());
    co_return;
  }
  const wire::Message message =
      wire::RegisterFile{0, c.file, chunking->size(), chunking->count(), digests.file, digests.chunks};
  auto reply = co_await request(command, message);
  if (!reply) co_return;
  if (auto* r = std::get_if<wire::Result>(&*reply); r && r->status == wire::Status::ok) {
    // From now on the file may be served: the server lists us as holding every chunk.
    catalog_.put(
        SharedFile{FileMeta{c.file, chunking->size(), chunking->count(), digests.file, digests.chunks}, real,
                   false, files::full_bitfield(chunking->count()), mtime.value_or(0), true});
    output_.registered(c.file, chunking->count(), chunking->size(), hex_of(digests.file));
  } else {
    handle_generic(command, *reply);
  }
}

asio::awaitable<std::optional<wire::FileInfo>> App::find_file(const std::string& command,
                                                              const std::string& name) {
  const wire::Message message = wire::SearchFile{0, name, false};
  auto reply = co_await request(command, message);
  if (!reply || handle_generic(command, *reply)) co_return std::nullopt;
  auto* info = std::get_if<wire::FileInfo>(&*reply);
  if (!info) co_return std::nullopt;
  if (info->status != wire::Status::ok) {
    output_.error(command, info->message);
    co_return std::nullopt;
  }
  co_return *info;
}

void App::search_chunks(const cmd::SearchChunk& c, const wire::FileInfo& info) {
  std::vector<std::pair<std::uint32_t, std::vector<std::string>>> chunks;
  for (std::uint32_t number : c.chunks) {
    if (number < 1 || number > info.chunk_count) {
      output_.error("searchChunk", fmt::format("chunk {} is out of range: {} has chunks 1 to {}", number,
                                               c.file, info.chunk_count));
      return;
    }
    std::vector<std::string> users;
    for (const auto& h : info.holders)
      if (files::has_chunk(h.chunks, number - 1)) users.push_back(h.user);
    chunks.emplace_back(number, std::move(users));
  }
  output_.chunk_search(c.file, chunks);
}

void App::start_download(const cmd::Download& c) {
  const std::string command = "download";
  if (!files::is_safe_file_name(c.file)) {
    output_.error(command,
                  fmt::format("'{}' is not a valid file name (no '/', no '..', no leading '.')", c.file));
    return;
  }
  for (const auto& d : downloads_)
    if (d->file() == c.file && d->state() == Download::State::running) {
      output_.error(command, fmt::format("{} is already being downloaded", c.file));
      return;
    }
  std::vector<std::uint32_t> wanted;
  for (auto number : c.chunks) {
    if (number == 0) {
      output_.error(command, "chunk 0 is out of range: chunks are numbered from 1");
      return;
    }
    wanted.push_back(number - 1);
  }
  if (const SharedFile* mine = catalog_.find(c.file); mine && !mine->partial) {
    output_.error(command, fmt::format("you already have {} ({})", c.file, mine->path.string()));
    return;
  }
  auto download = std::make_shared<Download>(download_env(), c.file, std::move(wanted));
  downloads_.push_back(download);
  output_.info(fmt::format("downloading {}{} in the background", c.file,
                           c.chunks.empty() ? "" : fmt::format(" (chunks {})", fmt::join(c.chunks, ", "))),
               {{"file", c.file}, {"state", "started"}});
  asio::co_spawn(io_, download->run(), net::LogExceptions{"download"});
}

void App::list_downloads() {
  std::vector<DownloadView> list;
  for (const auto& download : downloads_) list.push_back(view_of(*download));
  output_.downloads(list);
}

Download::Env App::download_env() {
  Download::Env env;
  env.loop = io_.get_executor();
  env.disk = &workers_;
  env.dir = fs::absolute(config_.download_dir);
  env.self = user_;
  env.lookup = [this](const std::string& name, std::string* error) { return lookup_file(name, error); };
  env.open_link = [this](const std::string& user) { return open_transfer_link(user); };
  env.send = [this](const std::string& user, const wire::LinkMessage& message) {
    return links_->send_transfer(user, message);
  };
  env.budget = budget_;
  env.on_have = [this](const FileMeta& meta, const fs::path& path, const std::string& have, bool complete) {
    on_have(meta, path, have, complete);
  };
  env.on_progress = [this](const Download& d) { on_download_progress(d, false); };
  env.on_corrupt = [this](const Download& d, const std::string& holder, std::uint32_t chunk) {
    output_.info(
        fmt::format("{} sent a corrupt copy of chunk {} of {}: it was thrown away, and {} will not be "
                    "asked again",
                    holder, chunk + 1, d.file(), holder),
        {{"file", d.file()}, {"holder", holder}, {"chunk", chunk + 1}, {"corrupt", true}});
  };
  env.on_end = [this](const Download& d) {
    on_download_progress(d, true);
    if (d.state() == Download::State::finished)
      output_.downloaded(view_of(d));
    else
      output_.error("download", d.error());
    // A download that never started (unknown file, chunk out of range) was a mistyped
    // command, not a download to list.
    if (!d.started()) std::erase_if(downloads_, [&](const auto& p) { return p.get() == &d; });
  };
  return env;
}

asio::awaitable<std::optional<wire::FileInfo>> App::lookup_file(const std::string& name, std::string* error) {
  if (!server_up_) {
    *error = "the server is unreachable";
    co_return std::nullopt;
  }
  const wire::Message message = wire::SearchFile{0, name, true};
  auto reply = co_await client_.call(message);
  auto* info = reply ? std::get_if<wire::FileInfo>(&*reply) : nullptr;
  if (!info) {
    *error = "no answer from the server";
    co_return std::nullopt;
  }
  if (info->status != wire::Status::ok) {
    *error = info->message;
    co_return std::nullopt;
  }
  co_return *info;
}

asio::awaitable<std::string> App::open_transfer_link(const std::string& user) {
  constexpr auto kTransfer = wire::LinkPurpose::transfer;
  if (links_->has(user, kTransfer)) co_return std::string{};
  if (auto pending = transfer_dials_.find(user); pending != transfer_dials_.end()) {
    // Another download is dialing this holder: one link serves both.
    asio::steady_timer done(io_, std::chrono::seconds(30));
    pending->second.push_back(&done);
    co_await done.async_wait(net::use_nothrow);
    if (auto still = transfer_dials_.find(user); still != transfer_dials_.end())
      std::erase(still->second, &done);
    co_return links_->has(user, kTransfer) ? std::string{} : fmt::format("no transfer link with {}", user);
  }
  if (!server_up_) co_return std::string("the server is unreachable");
  transfer_dials_[user];
  std::string error;
  const wire::Message message = wire::StartPrivate{0, user, kTransfer};
  auto reply = co_await client_.call(message);
  auto* offer = reply ? std::get_if<wire::LinkOffer>(&*reply) : nullptr;
  if (!offer) {
    error = "no answer from the server";
  } else if (offer->status != wire::Status::ok) {
    error = offer->message;
  } else {
    const wire::LinkOffer named = *offer;
    error = co_await links_->dial(named);
  }
  if (links_->has(user, kTransfer)) error.clear();  // they dialed us meanwhile: as good
  if (auto waiting = transfer_dials_.find(user); waiting != transfer_dials_.end()) {
    for (auto* timer : waiting->second) timer->cancel();
    transfer_dials_.erase(waiting);
  }
  co_return error;
}

void App::on_transfer(const std::string& user, wire::LinkMessage&& message) {
  if (auto* request = std::get_if<wire::PieceRequest>(&message)) {
    chunk_server_->on_request(user, *request);
    return;
  }
  for (auto& download : downloads_)
    if (download->on_piece(user, message)) return;
}

void App::on_piece(const std::string& user, const wire::PieceView& piece) {
  for (auto& download : downloads_)
    if (download->on_piece(user, piece)) return;
}

void App::on_transfer_closed(const std::string& user) {
  chunk_server_->forget(user);
  for (auto& download : downloads_) download->on_link_closed(user);
}

void App::on_have(const FileMeta& meta, const fs::path& path, const std::string& have, bool complete) {
  SharedFile* entry = catalog_.find(meta.name);
  if (complete || !entry || entry->path != path) {
    catalog_.put(
        SharedFile{meta, path, !complete, have, complete ? Catalog::mtime_ns(path).value_or(0) : 0, true});
  } else {
    entry->have = have;  // the .have file beside the download is what survives a restart
  }
  if (server_up_) client_.send(wire::HaveChunks{meta.name, have});
}

void App::on_download_progress(const Download& d, bool final) {
  auto now = std::chrono::steady_clock::now();
  bool running = d.state() == Download::State::running;
  if (editor_) {
    // Interactive: a live bar in front of the prompt, not lines that scroll the chat away.
    const Download* shown = nullptr;
    for (const auto& download : downloads_)
      if (download->state() == Download::State::running) shown = download.get();
    if (!shown) {
      editor_->set_status("");
    } else if (now - last_progress_ >= std::chrono::milliseconds(100) || final) {
      last_progress_ = now;
      editor_->set_status(Output::progress_bar(view_of(*shown), 10));
    }
    return;
  }
  // Scripts and --json: a line per verified chunk at most every quarter second, and the last.
  if (!running && !final) return;
  if (final && d.state() != Download::State::finished) return;
  if (!final && now - last_progress_ < std::chrono::milliseconds(250) && d.done() < d.total()) return;
  last_progress_ = now;
  if (!final || d.done() == d.total()) output_.progress(view_of(d));
}

// The server forgot what we held when we logged in: tell it again, after checking on a
// disk thread that each file is still there and unchanged.
asio::awaitable<void> App::announce_holdings() {
  if (announcing_) co_return;
  announcing_ = true;
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
    if (server_up_ && entry->have.find_first_not_of('\0') != std::string::npos)
      client_.send(wire::HaveChunks{name, entry->have});
  }
  announcing_ = false;
}

}  // namespace parley::peer
