// Searching and downloading, and the pieces arriving on transfer links.
#include "peer/engine/transfers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "shared/files/bitfield.hpp"
#include "shared/files/file_names.hpp"
#include "shared/util/hex.hpp"

namespace parley::peer {
namespace fs = std::filesystem;

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
  v.elapsed_s = d.elapsed_seconds();
  v.whole_file = d.wanted().empty();
  for (auto chunk : d.wanted()) v.chunks.push_back(chunk + 1);
  v.path = d.path().string();
  v.error = d.error();
  v.sha256 = d.sha256().empty() ? "" : to_hex(std::string_view(d.sha256()));
  v.sources = d.sources();
  v.resumed = d.resumed();
  v.fetched = d.fetched();
  for (const auto& user : v.sources)
    if (auto it = d.paths().find(user); it != d.paths().end())
      v.paths.emplace_back(user, wire::to_string(it->second));
  return v;
}

Transfers::Transfers(asio::any_io_executor loop, const PeerConfig& config, LinkManager& links,
                     RegistrySession& session, Emit emit)
    : loop_(loop),
      config_(config),
      links_(links),
      session_(session),
      emit_(std::move(emit)),
      catalog_(config.data_dir / "catalog.json"),
      download_ended_(loop) {
  chunk_server_ = std::make_unique<ChunkServer>(
      loop, workers_, catalog_,
      [this](const std::string& user, wire::SharedFrame frame) {
        return links_.send_transfer(user, std::move(frame));
      },
      config.upload_limit);
  budget_->on_freed = [this] {
    // Posted: the download that freed room is in the middle of its own bookkeeping.
    if (kick_posted_) return;
    kick_posted_ = true;
    asio::post(loop_, [this] {
      kick_posted_ = false;
      for (auto& download : downloads_) download->kick();
    });
  };
}

Transfers::~Transfers() = default;

asio::awaitable<std::optional<wire::FileInfo>> Transfers::lookup_file(const std::string& name,
                                                                      std::string* error) {
  if (!session_.up()) {
    *error = "the server is unreachable";
    co_return std::nullopt;
  }
  const wire::Message message = wire::SearchFile{0, name, true};
  auto reply = co_await session_.client().call(message);
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

// The download's first look-up is the one `download` already made to check the command.
asio::awaitable<std::optional<wire::FileInfo>> Transfers::lookup_once(
    std::shared_ptr<std::optional<wire::FileInfo>> known, const std::string& name, std::string* error) {
  if (*known) co_return std::exchange(*known, std::nullopt);
  co_return co_await lookup_file(name, error);
}

asio::awaitable<std::optional<wire::FileInfo>> Transfers::find_file(std::string_view command,
                                                                    const std::string& name) {
  std::string why;
  auto info = co_await lookup_file(name, &why);
  if (!info) error(command, why);
  co_return info;
}

asio::awaitable<bool> Transfers::search_file(const cmd::SearchFile& c) {
  auto info = co_await find_file("searchFile", c.file);
  if (!info) co_return false;
  std::vector<std::string> users;
  for (const auto& h : info->holders) users.push_back(h.user);
  emit_(ev::FileFound{c.file, std::move(users)});
  co_return true;
}

asio::awaitable<bool> Transfers::search_chunks(const cmd::SearchChunk& c) {
  auto info = co_await find_file("searchChunk", c.file);
  if (!info) co_return false;
  ev::Chunks found{c.file, {}};
  for (std::uint32_t number : c.chunks) {
    if (number < 1 || number > info->chunk_count) {
      error("searchChunk", fmt::format("chunk {} is out of range: {} has chunks 1 to {}", number, c.file,
                                       info->chunk_count));
      co_return false;
    }
    std::vector<std::string> users;
    for (const auto& h : info->holders)
      if (files::has_chunk(h.chunks, number - 1)) users.push_back(h.user);
    found.chunks.emplace_back(number, std::move(users));
  }
  emit_(std::move(found));
  co_return true;
}

asio::awaitable<bool> Transfers::download(const cmd::Download& c) {
  const std::string command = "download";
  if (!files::is_safe_file_name(c.file)) {
    error(command, fmt::format("'{}' is not a valid file name (no '/', no '..', no leading '.')", c.file));
    co_return false;
  }
  for (const auto& d : downloads_)
    if (d->file() == c.file && d->state() == Download::State::running) {
      error(command, fmt::format("{} is already being downloaded", c.file));
      co_return false;
    }
  if (const SharedFile* mine = catalog_.find(c.file); mine && !mine->partial) {
    error(command, fmt::format("you already have {} ({})", c.file, mine->path.string()));
    co_return false;
  }
  // Asked first, so that "downloading in the background" is only said of a real file.
  auto info = co_await find_file(command, c.file);
  if (!info) co_return false;
  std::vector<std::uint32_t> wanted;
  for (auto number : c.chunks) {
    if (number < 1 || number > info->chunk_count) {
      error(command, fmt::format("chunk {} is out of range: {} has chunks 1 to {}", number, c.file,
                                 info->chunk_count));
      co_return false;
    }
    wanted.push_back(number - 1);
  }
  auto known = std::make_shared<std::optional<wire::FileInfo>>(std::move(info));
  auto download = std::make_shared<Download>(download_env(known), c.file, std::move(wanted));
  downloads_.push_back(download);
  emit_(ev::DownloadStarted{view_of(*download)});
  emit_(ev::Running{running_views()});
  asio::co_spawn(loop_, download->run(), net::LogExceptions{"download"});
  co_return true;
}

std::vector<DownloadView> Transfers::running_views() const {
  std::vector<DownloadView> views;
  for (const auto& d : downloads_)
    if (d->state() == Download::State::running) views.push_back(view_of(*d));
  return views;
}

bool Transfers::any_running() const {
  return std::any_of(downloads_.begin(), downloads_.end(),
                     [](const auto& d) { return d->state() == Download::State::running; });
}

asio::awaitable<void> Transfers::wait_all() {
  while (any_running()) co_await download_ended_.wait();
}

void Transfers::list_downloads() {
  std::vector<DownloadView> list;
  for (const auto& download : downloads_) list.push_back(view_of(*download));
  emit_(ev::Downloads{std::move(list)});
}

void Transfers::list_uploads() {
  std::vector<UploadView> list;
  for (auto& s : chunk_server_->serving()) list.push_back({s.user, s.file, s.bytes, s.rate});
  emit_(ev::Uploads{std::move(list)});
}

Download::Env Transfers::download_env(std::shared_ptr<std::optional<wire::FileInfo>> known) {
  Download::Env env;
  env.loop = loop_;
  env.disk = &workers_;
  env.dir = fs::absolute(config_.download_dir);
  env.self = session_.user();
  env.lookup = [this, known](const std::string& name, std::string* why) {
    return lookup_once(known, name, why);
  };
  env.open_link = [this](const std::string& user) { return open_transfer_link(user); };
  env.send = [this](const std::string& user, const wire::LinkMessage& message) {
    return links_.send_transfer(user, message);
  };
  env.path_of = [this](const std::string& user) { return links_.path(user, wire::LinkPurpose::transfer); };
  env.budget = budget_;
  env.on_have = [this](const FileMeta& meta, const fs::path& path, const std::string& have, bool complete) {
    on_have(meta, path, have, complete);
  };
  env.on_progress = [this](const Download& d) { on_progress(d, false); };
  env.on_corrupt = [this](const Download& d, const std::string& holder, std::uint32_t chunk) {
    emit_(ev::Notice{
        fmt::format("{} sent a corrupt copy of chunk {} of {}: it was thrown away, and {} will not "
                    "be asked again",
                    holder, chunk + 1, d.file(), holder),
        {{"file", d.file()}, {"holder", holder}, {"chunk", std::int64_t{chunk} + 1}, {"corrupt", true}}});
  };
  env.on_end = [this](const Download& d) { on_end(d); };
  return env;
}

void Transfers::on_end(const Download& d) {
  on_progress(d, true);
  if (d.state() == Download::State::finished)
    emit_(ev::Downloaded{view_of(d)});
  else
    error("download", d.error());
  // A download that never started (the file vanished between the check and the start)
  // was not a download to list.
  if (!d.started()) std::erase_if(downloads_, [&](const auto& p) { return p.get() == &d; });
  download_ended_.notify();
}

// A line per verified chunk at most every quarter second, and the last one once; the
// status of everything running with each.
void Transfers::on_progress(const Download& d, bool final) {
  const auto now = std::chrono::steady_clock::now();
  auto& shown = shown_progress_[&d];
  const bool complete = d.done() == d.total();
  if (final) {
    if (d.state() == Download::State::finished && shown.done != d.done()) emit_(ev::Progress{view_of(d)});
    shown_progress_.erase(&d);
  } else {
    if (now - shown.at < std::chrono::milliseconds(250) && !complete) return;
    shown = {now, d.done()};
    emit_(ev::Progress{view_of(d)});
  }
  emit_(ev::Running{running_views()});
}

asio::awaitable<std::string> Transfers::open_transfer_link(const std::string& user) {
  constexpr auto kTransfer = wire::LinkPurpose::transfer;
  if (links_.has(user, kTransfer)) co_return std::string{};
  if (auto pending = transfer_dials_.find(user); pending != transfer_dials_.end()) {
    // Another download is dialing this holder: one link serves both.
    auto done = pending->second;
    co_await done->wait_for(std::chrono::seconds(30));
    co_return links_.has(user, kTransfer) ? std::string{} : fmt::format("no transfer link with {}", user);
  }
  if (!session_.up()) co_return std::string("the server is unreachable");
  auto done = std::make_shared<net::AsyncEvent>(loop_);
  transfer_dials_[user] = done;
  std::string why;
  const wire::Message message = wire::StartPrivate{0, user, kTransfer};
  auto reply = co_await session_.client().call(message);
  auto* offer = reply ? std::get_if<wire::LinkOffer>(&*reply) : nullptr;
  if (!offer) {
    why = "no answer from the server";
  } else if (offer->status != wire::Status::ok) {
    why = offer->message;
  } else {
    const wire::LinkOffer named = *offer;
    why = co_await links_.dial(named);
  }
  if (links_.has(user, kTransfer)) why.clear();  // they dialed us meanwhile: as good
  transfer_dials_.erase(user);
  done->notify();
  co_return why;
}

void Transfers::on_transfer(const std::string& user, wire::LinkMessage&& message) {
  if (auto* request = std::get_if<wire::PieceRequest>(&message)) {
    chunk_server_->on_request(user, *request);
    return;
  }
  for (auto& download : downloads_)
    if (download->on_piece(user, message)) return;
}

void Transfers::on_piece(const std::string& user, const wire::PieceView& piece) {
  for (auto& download : downloads_)
    if (download->on_piece(user, piece)) return;
}

void Transfers::on_transfer_closed(const std::string& user) {
  chunk_server_->forget(user);
  for (auto& download : downloads_) download->on_link_closed(user);
}

}  // namespace parley::peer
