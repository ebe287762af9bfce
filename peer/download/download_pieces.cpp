// The piece traffic of a download: asking each source for pieces within its window,
// taking their answers, writing them on the disk strand, and what a verified or
// corrupt chunk, or a lost source, means for the rest.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <cstring>

#include "peer/download/download.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

// Piece ids are unique across every download of this process, so a piece finds its
// download whichever transfer link it arrives on.
std::uint32_t next_piece_id() {
  static std::uint32_t next = 0;
  return ++next;
}

}  // namespace

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

}  // namespace parley::peer
