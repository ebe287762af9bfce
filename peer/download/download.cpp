#include "peer/download/download.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "shared/files/bitfield.hpp"
#include "shared/net/async.hpp"

namespace parley::peer {
namespace {

constexpr int kMaxRefreshes = 3;  // asking the server again for holders when stuck

std::string chunk_list(const std::vector<std::uint32_t>& chunks) {
  std::vector<std::uint32_t> numbers;  // as users count them, from 1
  for (auto c : chunks) numbers.push_back(c + 1);
  return fmt::format("{}", fmt::join(numbers, ", "));
}

}  // namespace

const char* to_string(Download::State state) {
  switch (state) {
    case Download::State::running:
      return "running";
    case Download::State::finished:
      return "finished";
    case Download::State::failed:
      return "failed";
  }
  return "unknown";
}

Download::Download(Env env, std::string file, std::vector<std::uint32_t> wanted)
    : env_(std::move(env)),
      file_(std::move(file)),
      wanted_(std::move(wanted)),
      disk_(asio::make_strand(env_.disk->get_executor())),
      wake_(env_.loop) {}

Download::~Download() = default;

double Download::elapsed_seconds() const {
  return std::chrono::duration<double>(ended_.value_or(std::chrono::steady_clock::now()) - started_).count();
}

double Download::rate() const {
  const double seconds = elapsed_seconds();
  return seconds > 0 ? static_cast<double>(fetched_bytes_) / seconds : 0;
}

std::vector<std::string> Download::sources() const {
  std::vector<std::string> out;
  for (const auto& [user, bytes] : sent_by_)
    if (bytes > 0) out.push_back(user);
  return out;
}

asio::awaitable<void> Download::run() {
  auto self = shared_from_this();  // alive until the end, whatever the owner does
  if (co_await prepare()) {
    std::vector<std::string> first;
    for (const auto& user : candidates_) first.push_back(user);
    // Every first link is open (or failed) before any chunk is chosen: rarest first
    // needs to see every source, and no source should get everything by answering first.
    co_await connect(first);
    fill_all();
    int refreshes = 0;
    std::uint32_t fetched_at_refresh = 0;
    while (state_ == State::running) {
      if (complete_ && verifying_ == 0) {
        co_await finish();
        break;
      }
      if (idle()) {
        if (fetched_ > fetched_at_refresh) refreshes = 0;  // progress since: a fresh budget
        fetched_at_refresh = fetched_;
        if (refreshes > 0) {
          asio::steady_timer pause(env_.loop, std::chrono::seconds(1));
          co_await pause.async_wait(net::use_nothrow);
        }
        if (++refreshes > kMaxRefreshes) {
          fail(missing_chunks(true));
          break;
        }
        if (!co_await refresh()) break;
        fill_all();
        continue;
      }
      co_await wake_.wait();
    }
  }
  std::vector<Buffer>().swap(spare_);  // a finished download stays listed: it keeps no buffers
  if (partial_) {
    // PartialFile is only touched on its strand; close it there, after any queued work.
    asio::post(disk_, [self] { self->partial_.reset(); });
  }
  if (env_.on_end) env_.on_end(*this);
}

asio::awaitable<bool> Download::prepare() {
  std::string why;
  auto info = co_await env_.lookup(file_, &why);
  if (!info) {
    fail(why);
    co_return false;
  }
  if (!describe(*info)) co_return false;
  auto have = co_await open_partial();
  if (!have) co_return false;
  started_flag_ = true;
  count_wanted(*have);
  if (have->find_first_not_of('\0') != std::string::npos)
    env_.on_have(meta_, path_, *have, false);  // resumed chunks can be served at once
  if (picker_->done()) {
    complete_ = true;
    co_return true;
  }
  for (const auto& holder : info->holders) {
    if (holder.user == env_.self) continue;
    picker_->set_holder(holder.user, holder.chunks);
    listed_.insert(holder.user);
  }
  if (auto missing = picker_->unavailable(); !missing.empty()) {
    fail(missing_chunks(false));
    co_return false;
  }
  for (const auto& user : listed_) {
    if (candidates_.size() >= kMaxSources) break;
    candidates_.push_back(user);
  }
  started_ = std::chrono::steady_clock::now();
  co_return true;
}

bool Download::describe(const wire::FileInfo& info) {
  meta_ = FileMeta{info.name, info.size, info.chunk_count, info.file_hash, info.chunk_hashes};
  chunking_ = files::Chunking::make(meta_.size, meta_.chunk_count);
  if (!chunking_ || meta_.chunk_hashes.size() != meta_.chunk_count) {
    fail(fmt::format("the server's description of {} is inconsistent", file_));
    return false;
  }
  for (auto c : wanted_)
    if (c >= meta_.chunk_count) {
      fail(fmt::format("chunk {} is out of range: {} has chunks 1 to {}", c + 1, file_, meta_.chunk_count));
      return false;
    }
  return true;
}

asio::awaitable<std::optional<std::string>> Download::open_partial() {
  // Opening resumes: chunks verified before are checked again on disk, off the loop.
  struct Opened {
    std::string have;
    std::filesystem::path part;
  };
  Opened opened;
  try {
    auto self = shared_from_this();
    const auto open = [self] {
      self->partial_ = std::make_unique<PartialFile>(self->env_.dir, self->meta_);
      return Opened{self->partial_->have(), self->partial_->part_path()};
    };
    opened = co_await net::run_on(disk_, open);
  } catch (const std::exception& e) {
    fail(fmt::format("cannot store {} in {}: {}", file_, env_.dir.string(), e.what()));
    co_return std::nullopt;
  }
  path_ = opened.part;
  co_return std::move(opened.have);
}

void Download::count_wanted(const std::string& have) {
  picker_.emplace(meta_.chunk_count, wanted_);
  std::set<std::uint32_t> wanted(wanted_.begin(), wanted_.end());
  for (std::uint32_t c = 0; c < meta_.chunk_count; ++c) {
    if (!wanted.empty() && !wanted.contains(c)) continue;
    auto length = chunking_->range(c).length;
    ++total_;
    total_bytes_ += length;
    if (files::has_chunk(have, c)) {
      picker_->mark_have(c);
      ++done_;
      ++resumed_;
      bytes_ += length;
    }
  }
}

asio::awaitable<void> Download::connect(std::vector<std::string> users) {
  dialing_ += users.size();
  for (auto& user : users) asio::co_spawn(env_.loop, connect_one(user), net::LogExceptions{"download dial"});
  while (dialing_ > 0 && state_ == State::running) co_await wake_.wait();
}

asio::awaitable<void> Download::connect_one(std::string user) {
  auto self = shared_from_this();
  std::string error = co_await env_.open_link(user);
  --dialing_;
  if (state_ == State::running) {
    if (error.empty()) {
      sources_.try_emplace(user);
      const auto path = env_.path_of ? env_.path_of(user) : wire::LinkPath::direct;
      paths_[user] = path;
      picker_->set_fallback(user, path == wire::LinkPath::relay);
    } else {
      spdlog::info("download of {}: no link with {}: {}", file_, user, error);
      picker_->set_holder(user, {});  // not a source for this download
    }
  }
  wake();
}

// Stuck (nothing in flight, chunks still missing): ask the server again. Holders may
// have come online, or a downloader may have become a holder since.
asio::awaitable<bool> Download::refresh() {
  std::string why;
  auto info = co_await env_.lookup(file_, &why);
  if (state_ != State::running) co_return false;
  if (!info) {
    fail(fmt::format("{} (and {})", missing_chunks(true), why));
    co_return false;
  }
  for (const auto& holder : info->holders) {
    if (holder.user == env_.self || picker_->banned(holder.user)) continue;
    picker_->set_holder(holder.user, holder.chunks);
    listed_.insert(holder.user);
  }
  // Sources with nothing left that we need give their place to holders that have it.
  for (auto it = sources_.begin(); it != sources_.end();) {
    bool busy = !it->second.requested.empty() || it->second.on_the_way_to_disk > 0;
    it = !busy && !picker_->useful(it->first) ? sources_.erase(it) : std::next(it);
  }
  std::vector<std::string> to_dial;
  for (const auto& user : listed_)
    if (!sources_.contains(user) && picker_->useful(user) && sources_.size() + to_dial.size() < kMaxSources)
      to_dial.push_back(user);
  if (to_dial.empty() && !picker_->unavailable().empty()) {
    fail(missing_chunks(true));
    co_return false;
  }
  co_await connect(to_dial);
  co_return state_ == State::running;
}

std::string Download::missing_chunks(bool only_reachable) const {
  // Once we have tried them, holders we could not reach count as absent.
  ChunkPicker reachable = *picker_;
  if (only_reachable)
    for (const auto& user : listed_)
      if (!sources_.contains(user)) reachable.set_holder(user, {});
  auto missing = reachable.unavailable();
  if (missing.empty()) missing = picker_->unavailable();
  if (missing.empty()) return fmt::format("no online user could send the rest of {}", file_);
  return fmt::format("no online user has chunk{} {} of {}", missing.size() == 1 ? "" : "s",
                     chunk_list(missing), file_);
}

asio::awaitable<void> Download::finish() {
  auto self = shared_from_this();
  try {
    const auto complete = [self] { return self->partial_->complete(); };
    if (co_await net::run_on(disk_, complete)) {
      // Every chunk was checked against its digest: the file is renamed into place at once.
      const auto finish = [self] { return self->partial_->finish(); };
      path_ = co_await net::run_on(disk_, finish);
      env_.on_have(meta_, path_, files::full_bitfield(meta_.chunk_count), true);
    }
  } catch (const std::exception& e) {
    fail(fmt::format("{}: {}", file_, e.what()));
    co_return;
  }
  state_ = State::finished;
  ended_ = std::chrono::steady_clock::now();
}

void Download::fail(std::string error) {
  if (state_ != State::running) return;
  state_ = State::failed;
  ended_ = std::chrono::steady_clock::now();
  error_ = std::move(error);
  // Answers still on their way are not ours any more; the holders' windows are free.
  for (auto& [user, source] : sources_) {
    env_.budget->give(user, source.requested.size());
    source.requested.clear();
  }
  piece_owner_.clear();
  wake();
}

}  // namespace parley::peer
