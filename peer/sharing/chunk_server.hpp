// The holder's side of a chunk transfer: answers other peers' PieceRequests on transfer
// links with bytes of chunks in the Catalog, and refuses (and logs) everything else:
// names that are not plain file names, files it does not share, chunks it has not
// verified, ranges outside the chunk.
//
// Each requester is served in order, one piece at a time: the read happens on a disk
// thread (never on the event loop), straight into the frame that goes out
// (read_piece_frame). A requester may have at most kMaxPiecesInFlight requests waiting,
// so a peer that asks for everything and reads nothing costs a bounded amount of
// memory. An optional upload limit paces what goes out, for every requester together.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "peer/sharing/catalog.hpp"
#include "peer/sharing/rate_meter.hpp"
#include "shared/wire/codec.hpp"

namespace parley::peer {

class ChunkServer {
 public:
  // Queues a frame on the transfer link with `user`; false if that link is gone.
  using Send = std::function<bool(const std::string& user, wire::SharedFrame frame)>;

  // `upload_limit`: bytes per second for all requesters together; 0 means no limit.
  ChunkServer(asio::any_io_executor loop, asio::thread_pool& disk, const Catalog& catalog, Send send,
              std::uint64_t upload_limit = 0);
  ~ChunkServer();
  ChunkServer(const ChunkServer&) = delete;
  ChunkServer& operator=(const ChunkServer&) = delete;

  void on_request(const std::string& user, const wire::PieceRequest& request);
  // The transfer link with `user` closed: drop what they asked for, and their lines in
  // serving().
  void forget(const std::string& user);

  std::uint64_t bytes_served() const { return bytes_served_; }

  // What this peer has been sending, per requester and file, since their transfer link
  // opened: bytes this session and bytes per second over the last few seconds.
  struct Serving {
    std::string user, file;
    std::uint64_t bytes = 0;
    double rate = 0;
  };
  std::vector<Serving> serving() const;  // by user, then file

 private:
  struct Queue {
    std::deque<wire::PieceRequest> waiting;
    std::uint64_t generation = 0;  // a new link from the same user starts a new queue
    bool serving = false;
  };

  asio::awaitable<void> serve(std::string user, std::uint64_t generation);
  // Empty when `request` may be served, with where its bytes are; else why not.
  std::string check(const std::string& user, const wire::PieceRequest& request, std::filesystem::path* path,
                    std::uint64_t* offset) const;
  void refuse(const std::string& user, std::uint32_t id, const std::string& reason);
  asio::awaitable<void> pace(std::uint64_t bytes);
  void count_sent(const std::string& user, const std::string& file, std::uint64_t bytes);

  asio::any_io_executor loop_;
  asio::thread_pool& disk_;
  const Catalog& catalog_;
  Send send_;
  std::uint64_t upload_limit_;
  double allowance_ = 0;  // bytes that may go out now (token bucket)
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();
  std::unordered_map<std::string, Queue> queues_;
  std::uint64_t next_generation_ = 1;
  std::uint64_t bytes_served_ = 0;
  struct Served {
    std::uint64_t bytes = 0;
    RateMeter meter;
  };
  std::map<std::pair<std::string, std::string>, Served> served_;  // user, file
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::peer
