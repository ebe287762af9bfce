#include "peer/sharing/chunk_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>

#include "peer/sharing/piece_reader.hpp"
#include "shared/files/bitfield.hpp"
#include "shared/files/chunking.hpp"
#include "shared/files/file_names.hpp"
#include "shared/net/async.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {

ChunkServer::ChunkServer(asio::any_io_executor loop, asio::thread_pool& disk, const Catalog& catalog,
                         Send send, std::uint64_t upload_limit)
    : loop_(std::move(loop)),
      disk_(disk),
      catalog_(catalog),
      send_(std::move(send)),
      upload_limit_(upload_limit),
      allowance_(static_cast<double>(wire::kMaxPiece)) {}

ChunkServer::~ChunkServer() { *alive_ = false; }

void ChunkServer::on_request(const std::string& user, const wire::PieceRequest& request) {
  auto [it, fresh] = queues_.try_emplace(user);
  Queue& queue = it->second;
  if (fresh) queue.generation = next_generation_++;
  if (queue.waiting.size() >= wire::kMaxPiecesInFlight) {
    spdlog::warn("refused a piece to {}: more than {} requests waiting", user, wire::kMaxPiecesInFlight);
    refuse(user, request.id, "too many requests at once");
    return;
  }
  queue.waiting.push_back(request);
  if (!queue.serving) {
    queue.serving = true;
    asio::co_spawn(loop_, serve(user, queue.generation), net::LogExceptions{"chunk server"});
  }
}

void ChunkServer::forget(const std::string& user) {
  queues_.erase(user);
  std::erase_if(served_, [&](const auto& entry) { return entry.first.first == user; });
}

void ChunkServer::count_sent(const std::string& user, const std::string& file, std::uint64_t bytes) {
  bytes_served_ += bytes;
  Served& served = served_[{user, file}];
  served.bytes += bytes;
  served.meter.add(bytes, std::chrono::steady_clock::now());
}

std::vector<ChunkServer::Serving> ChunkServer::serving() const {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Serving> out;
  for (const auto& [key, served] : served_)
    out.push_back({key.first, key.second, served.bytes, served.meter.rate(now)});
  return out;
}

std::string ChunkServer::check(const std::string& user, const wire::PieceRequest& request,
                               std::filesystem::path* path, std::uint64_t* offset) const {
  // Logged: a name that is not a plain file name, or a file never shared, is someone
  // probing for files they should not see.
  if (!files::is_safe_file_name(request.file)) {
    spdlog::warn("refused a piece to {}: '{}' is not a plain file name", user, request.file);
    return "not a shared file";
  }
  const SharedFile* file = catalog_.find(request.file);
  if (!file) {
    spdlog::warn("refused a piece to {}: '{}' is not shared here", user, request.file);
    return "not a shared file";
  }
  if (request.chunk >= file->meta.chunk_count || !files::has_chunk(file->have, request.chunk))
    return fmt::format("chunk {} of {} is not held here", request.chunk + 1, request.file);
  auto chunking = files::Chunking::make(file->meta.size, file->meta.chunk_count);
  if (!chunking) return "not a shared file";
  auto range = chunking->range(request.chunk);
  if (request.offset > range.length || request.length > range.length - request.offset)
    return fmt::format("the piece lies outside chunk {}", request.chunk + 1);
  *path = file->path;
  *offset = range.offset + request.offset;
  return {};
}

void ChunkServer::refuse(const std::string& user, std::uint32_t id, const std::string& reason) {
  send_(user, wire::make_frame(wire::LinkMessage{wire::PieceRefused{id, reason}}));
}

asio::awaitable<void> ChunkServer::serve(std::string user, std::uint64_t generation) {
  auto alive = alive_;
  auto current = [&]() -> Queue* {
    if (!*alive) return nullptr;
    auto it = queues_.find(user);
    return it != queues_.end() && it->second.generation == generation ? &it->second : nullptr;
  };
  while (Queue* queue = current()) {
    if (queue->waiting.empty()) {
      queue->serving = false;
      co_return;
    }
    const wire::PieceRequest request = std::move(queue->waiting.front());
    queue->waiting.pop_front();
    std::filesystem::path path;
    std::uint64_t offset = 0;
    if (auto refusal = check(user, request, &path, &offset); !refusal.empty()) {
      refuse(user, request.id, refusal);
      continue;
    }
    wire::SharedFrame frame;
    std::string error;
    // Twice at most: a download of ours may have renamed its partial file into place
    // between the check and the read (the catalog then has the new path).
    for (int attempt = 0; attempt < 2 && !frame; ++attempt) {
      if (attempt > 0) {
        std::filesystem::path moved;
        if (!check(user, request, &moved, &offset).empty() || moved == path) break;
        path = moved;
      }
      try {
        const auto disk = disk_.get_executor();
        const auto read = [path, offset, id = request.id, length = request.length] {
          return read_piece_frame(path, offset, id, length);
        };
        frame = co_await net::run_on(disk, read);
        error.clear();
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!current()) co_return;
    }
    if (!error.empty()) {
      spdlog::warn("cannot serve a piece of {} to {}: {}", request.file, user, error);
      refuse(user, request.id, "cannot read the file");
      continue;
    }
    co_await pace(request.length);
    if (!current()) co_return;
    if (send_(user, std::move(frame))) count_sent(user, request.file, request.length);
  }
}

asio::awaitable<void> ChunkServer::pace(std::uint64_t bytes) {
  if (upload_limit_ == 0) co_return;
  using namespace std::chrono;
  auto now = steady_clock::now();
  const double rate = static_cast<double>(upload_limit_);
  // A burst of at most one piece (or a quarter second of the limit, if that is more).
  const double burst = std::max(static_cast<double>(wire::kMaxPiece), rate / 4);
  allowance_ = std::min(burst, allowance_ + duration<double>(now - refilled_).count() * rate);
  refilled_ = now;
  allowance_ -= static_cast<double>(bytes);
  if (allowance_ >= 0) co_return;
  asio::steady_timer wait(loop_, duration_cast<steady_clock::duration>(duration<double>(-allowance_ / rate)));
  co_await wait.async_wait(net::use_nothrow);
}

}  // namespace parley::peer
