#include "peer/download/download.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <cstring>

#include "shared/files/bitfield.hpp"
#include "shared/net/async.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

// Piece ids are unique across every download of this process, so a piece finds its
// download whichever transfer link it arrives on.
std::uint32_t next_piece_id() {
  static std::uint32_t next = 0;
  return ++next;
}

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
      wake_(env_.loop, std::chrono::steady_clock::time_point::max()) {}

Download::~Download() = default;

double Download::rate() const {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
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
      wake_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await wake_.async_wait(net::use_nothrow);
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
  meta_ = FileMeta{info->name, info->size, info->chunk_count, info->file_hash, info->chunk_hashes};
  chunking_ = files::Chunking::make(meta_.size, meta_.chunk_count);
  if (!chunking_ || meta_.chunk_hashes.size() != meta_.chunk_count) {
    fail(fmt::format("the server's description of {} is inconsistent", file_));
    co_return false;
  }
  for (auto c : wanted_)
    if (c >= meta_.chunk_count) {
      fail(fmt::format("chunk {} is out of range: {} has chunks 1 to {}", c + 1, file_, meta_.chunk_count));
      co_return false;
    }

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
    co_return false;
  }
  path_ = opened.part;
  started_flag_ = true;
  picker_.emplace(meta_.chunk_count, wanted_);
  std::set<std::uint32_t> wanted(wanted_.begin(), wanted_.end());
  for (std::uint32_t c = 0; c < meta_.chunk_count; ++c) {
    if (!wanted.empty() && !wanted.contains(c)) continue;
    auto length = chunking_->range(c).length;
    ++total_;
    total_bytes_ += length;
    if (files::has_chunk(opened.have, c)) {
      picker_->mark_have(c);
      ++done_;
      ++resumed_;
      bytes_ += length;
    }
  }
  if (opened.have.find_first_not_of('\0') != std::string::npos)
    env_.on_have(meta_, path_, opened.have, false);  // resumed chunks can be served at once
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

asio::awaitable<void> Download::connect(std::vector<std::string> users) {
  dialing_ += users.size();
  for (auto& user : users) asio::co_spawn(env_.loop, connect_one(user), net::LogExceptions{"download dial"});
  while (dialing_ > 0 && state_ == State::running) {
    wake_.expires_at(std::chrono::steady_clock::time_point::max());
    co_await wake_.async_wait(net::use_nothrow);
  }
}

asio::awaitable<void> Download::connect_one(std::string user) {
  auto self = shared_from_this();
  std::string error = co_await env_.open_link(user);
  --dialing_;
  if (state_ == State::running) {
    if (error.empty()) {
      sources_.try_emplace(user);
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

void Download::fill_all() {
  std::vector<std::string> users;
  for (const auto& [user, source] : sources_) users.push_back(user);
  for (const auto& user : users) fill(user);
}

void Download::fill(const std::string& user) {
  if (state_ != State::running) return;
  auto it = sources_.find(user);
  if (it == sources_.end()) return;
  Source& s = it->second;
  // The holder's window is shared with our other downloads from it.
  while (s.requested.size() + s.on_the_way_to_disk < kWindow && env_.budget->available(user)) {
    if (s.chunks.empty()) {
      if (s.receiving.size() >= kChunksPerSource) break;
      auto chunk = picker_->pick(user);
      if (!chunk) break;
      s.chunks.emplace_back(*chunk, 0);
      s.receiving.insert(*chunk);
      asio::post(disk_, [self = shared_from_this(), c = *chunk] {
        try {
          self->partial_->begin(c);
        } catch (const std::exception& e) {
          spdlog::error("download of {}: {}", self->file_, e.what());  // the appends will fail too
        }
      });
    }
    env_.budget->take(user);
    auto& [chunk, offset] = s.chunks.front();
    const std::uint64_t length = chunking_->range(chunk).length;
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(wire::kMaxPiece, length - offset));
    const Piece piece{next_piece_id(), chunk, offset, n, offset + n == length};
    s.requested.push_back(piece);
    piece_owner_[piece.id] = user;
    offset += n;
    if (offset == length) s.chunks.pop_front();
    const wire::LinkMessage request = wire::PieceRequest{piece.id, file_, piece.chunk, piece.offset, n};
    if (!env_.send(user, request)) {
      drop_source(user, "the transfer link closed");
      return;
    }
  }
}

bool Download::on_piece(const std::string& user, const wire::LinkMessage& message) {
  if (const auto* data = std::get_if<wire::PieceData>(&message)) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data->data.data());
    return on_piece(user, wire::PieceView{data->id, std::span(bytes, data->data.size())});
  }
  const auto* refused = std::get_if<wire::PieceRefused>(&message);
  if (!refused) return false;
  bool ours = false;
  if (answered(user, refused->id, &ours)) drop_source(user, "refused: " + refused->reason);
  return ours;
}

std::optional<Download::Piece> Download::answered(const std::string& user, std::uint32_t id, bool* ours) {
  auto owner = piece_owner_.find(id);
  *ours = owner != piece_owner_.end();
  if (!*ours || owner->second != user || state_ != State::running)
    return std::nullopt;  // not from whom we asked
  piece_owner_.erase(owner);
  Source& s = sources_.at(user);
  if (s.requested.empty() || s.requested.front().id != id) {
    drop_source(user, "answered out of order");
    return std::nullopt;
  }
  const Piece piece = s.requested.front();
  s.requested.pop_front();
  env_.budget->give(user);
  return piece;
}

Download::Buffer Download::take_buffer() {
  if (spare_.empty()) return std::make_unique_for_overwrite<std::uint8_t[]>(wire::kMaxPiece);
  Buffer buffer = std::move(spare_.back());
  spare_.pop_back();
  return buffer;
}

bool Download::on_piece(const std::string& user, const wire::PieceView& data) {
  bool ours = false;
  const auto answer = answered(user, data.id, &ours);
  if (!answer) return ours;
  const Piece piece = *answer;
  if (data.data.size() != piece.length) {
    picker_->failed(piece.chunk, user, true);
    if (env_.on_corrupt) env_.on_corrupt(*this, user, piece.chunk);
    drop_source(user, "sent a piece of the wrong size");
    return true;
  }
  fetched_bytes_ += piece.length;
  Source& s = sources_.at(user);
  if (piece.last) {
    s.receiving.erase(piece.chunk);
    ++verifying_;
  }
  ++s.on_the_way_to_disk;
  // The frame is gone once this returns: its bytes go to the disk strand in a pooled
  // buffer, the one copy on the way to disk. Hashing happens there too, while they are hot.
  Buffer buffer = take_buffer();
  std::memcpy(buffer.get(), data.data.data(), piece.length);
  asio::post(disk_, [self = shared_from_this(), user, piece, buffer = std::move(buffer)]() mutable {
    std::optional<bool> verified;
    std::string have, error;
    try {
      self->partial_->append(piece.chunk, piece.offset, std::span(buffer.get(), piece.length));
      if (piece.last) {
        verified = self->partial_->end(piece.chunk);
        if (*verified) have = self->partial_->have();
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    asio::post(self->env_.loop, [self, user, piece, verified, have = std::move(have),
                                 error = std::move(error), buffer = std::move(buffer)]() mutable {
      if (self->state_ == State::running) self->spare_.push_back(std::move(buffer));
      self->on_written(user, piece, verified, have, error);
    });
  });
  return true;
}

void Download::on_written(const std::string& user, const Piece& piece, std::optional<bool> verified,
                          const std::string& have, const std::string& error) {
  auto it = sources_.find(user);
  if (it != sources_.end() && it->second.on_the_way_to_disk > 0) --it->second.on_the_way_to_disk;
  if (piece.last) --verifying_;
  if (state_ != State::running) return wake();
  if (!error.empty()) {
    fail(fmt::format("cannot write {}: {}", file_, error));
    return;
  }
  if (piece.last) {
    const auto length = chunking_->range(piece.chunk).length;
    if (*verified) {
      picker_->completed(piece.chunk);
      ++fetched_;
      ++done_;  // the picker only hands out wanted chunks
      bytes_ += length;
      sent_by_[user] += length;
      env_.on_have(meta_, path_, have, false);
      if (picker_->done()) complete_ = true;
      if (env_.on_progress) env_.on_progress(*this);
    } else {
      // The bytes were thrown away on disk; the holder is never asked again.
      picker_->failed(piece.chunk, user, true);
      if (env_.on_corrupt) env_.on_corrupt(*this, user, piece.chunk);
      drop_source(user, fmt::format("chunk {} did not match its digest", piece.chunk + 1));
    }
  }
  fill(user);
  fill_all();
  wake();
}

void Download::drop_source(const std::string& user, const std::string& why) {
  auto it = sources_.find(user);
  if (it == sources_.end()) return;
  Source source = std::move(it->second);
  sources_.erase(it);
  spdlog::info("download of {}: not using {} any more: {}", file_, user, why);
  for (const auto& piece : source.requested) piece_owner_.erase(piece.id);
  env_.budget->give(user, source.requested.size());
  // Chunks still arriving go back to the pool; their bytes so far are forgotten.
  // A chunk whose last piece is on its way to disk keeps its claim until it is verified.
  for (auto chunk : source.receiving) {
    picker_->failed(chunk, user, false);
    asio::post(disk_, [self = shared_from_this(), chunk] { self->partial_->abandon(chunk); });
  }
  picker_->set_holder(user, {});
  fill_all();
  wake();
}

void Download::on_link_closed(const std::string& user) {
  if (state_ == State::running) drop_source(user, "the transfer link closed");
}

bool Download::idle() const {
  if (state_ != State::running || complete_ || dialing_ > 0 || verifying_ > 0) return false;
  // A source with chunks under way is not idle, even while the holder's shared window
  // keeps it from asking for more: the other download's answers will free it.
  for (const auto& [user, s] : sources_)
    if (!s.requested.empty() || s.on_the_way_to_disk > 0 || !s.receiving.empty()) return false;
  return true;
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
}

void Download::fail(std::string error) {
  if (state_ != State::running) return;
  state_ = State::failed;
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
