// One download, from start to finish: asks the registry for the file and its holders,
// opens a transfer link to each holder, then fetches pieces from all of them at once,
// chunks chosen rarest first (ChunkPicker). Every chunk is checked against its digest
// on a disk thread (PartialFile) before it counts; a holder whose chunk does not match
// is reported and never asked again, and the chunk comes from someone else. Each
// verified chunk is announced at once, so this peer becomes a source while it still
// downloads. A holder that goes away costs only the chunk it was sending.
//
// Memory is bounded by the request window, not the file: each source has at most
// kWindow pieces requested or waiting for the disk, and pieces go straight to disk.
//
// Everything here runs on the event loop, except PartialFile, which lives on its own
// strand of the disk pool.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "peer/download/chunk_picker.hpp"
#include "peer/download/partial_file.hpp"
#include "peer/download/request_budget.hpp"
#include "shared/net/async.hpp"
#include "shared/wire/link_messages.hpp"
#include "shared/wire/messages.hpp"
#include "shared/wire/piece_frame.hpp"

namespace parley::peer {

class Download : public std::enable_shared_from_this<Download> {
 public:
  // Pieces requested (or received and not yet on disk) per source at once.
  static constexpr std::size_t kWindow = 8;
  // Chunks one source sends at once: keeps the next chunk queued behind the current one
  // without letting the first source to answer take every small chunk.
  static constexpr std::size_t kChunksPerSource = 2;
  static constexpr std::size_t kMaxSources = 8;

  enum class State { running, finished, failed };

  // What a download needs from the rest of the peer.
  struct Env {
    asio::any_io_executor loop;
    asio::thread_pool* disk = nullptr;
    std::filesystem::path dir;  // the downloads folder
    std::string self;           // our user name: never a source
    // The file with its chunk digests and online holders; nullopt and a reason if not.
    std::function<asio::awaitable<std::optional<wire::FileInfo>>(const std::string& name, std::string* error)>
        lookup;
    // Opens (or finds) the transfer link with `user`; "" once open, else why not.
    std::function<asio::awaitable<std::string>(const std::string& user)> open_link;
    std::function<bool(const std::string& user, const wire::LinkMessage& message)> send;
    // How the open transfer link with `user` goes: relayed sources are asked only for
    // chunks no other source has (a relay is slow and costs its operator).
    std::function<wire::LinkPath(const std::string& user)> path_of;
    std::shared_ptr<RequestBudget> budget;  // shared by every download of this peer
    // A chunk was verified: `have` is every verified chunk, the bytes are at `path`.
    std::function<void(const FileMeta& meta, const std::filesystem::path& path, const std::string& have,
                       bool complete)>
        on_have;
    std::function<void(const Download&)> on_progress;
    std::function<void(const Download&, const std::string& holder, std::uint32_t chunk)> on_corrupt;
    std::function<void(const Download&)> on_end;  // finished or failed
  };

  // `wanted`: 0-based chunk numbers; empty means the whole file.
  Download(Env env, std::string file, std::vector<std::uint32_t> wanted);
  ~Download();
  Download(const Download&) = delete;
  Download& operator=(const Download&) = delete;

  // Runs to the end; on_end tells how it went. Call once, via co_spawn.
  asio::awaitable<void> run();

  // A piece message from the transfer link with `user`; false if it is not ours.
  bool on_piece(const std::string& user, const wire::LinkMessage& message);
  // A piece's bytes still in the frame they came in (valid only during the call); false
  // if it is not ours.
  bool on_piece(const std::string& user, const wire::PieceView& data);
  // The transfer link with `user` closed.
  void on_link_closed(const std::string& user);
  // Requests may have room again (the shared budget freed some): try to send more.
  void kick() { fill_all(); }

  const std::string& file() const { return file_; }
  State state() const { return state_; }
  // False until the file is known and its partial file open: a download that fails
  // before that (unknown file, chunk out of range) was only a mistyped command.
  bool started() const { return started_flag_; }
  const std::string& error() const { return error_; }
  std::uint32_t done() const { return done_; }    // wanted chunks verified
  std::uint32_t total() const { return total_; }  // wanted chunks
  std::uint32_t resumed() const { return resumed_; }
  std::uint32_t fetched() const { return fetched_; }
  std::uint64_t bytes() const { return bytes_; }              // verified bytes of wanted chunks
  std::uint64_t total_bytes() const { return total_bytes_; }  // bytes of wanted chunks
  double rate() const;                                        // bytes per second fetched, this run
  // From the start (once the file is known) to the end, or to now while running.
  double elapsed_seconds() const;
  // 0-based chunk numbers asked for; empty means the whole file.
  const std::vector<std::uint32_t>& wanted() const { return wanted_; }
  const std::filesystem::path& path() const { return path_; }
  const std::string& sha256() const { return meta_.file_hash; }
  std::vector<std::string> sources() const;  // who sent verified chunks
  // The path of each source's link, as it was when the link opened.
  const std::map<std::string, wire::LinkPath>& paths() const { return paths_; }

 private:
  struct Piece {
    std::uint32_t id;
    std::uint32_t chunk;
    std::uint64_t offset;
    std::uint32_t length;
    bool last;  // the chunk's last piece
  };
  // A piece on its way to disk. Pooled: thousands pass through a second, and a fresh
  // allocation each would cost page faults and heap trimming (sbrk) over and over.
  using Buffer = std::unique_ptr<std::uint8_t[]>;
  struct Source {
    std::deque<Piece> requested;                                 // in the order they will arrive
    std::size_t on_the_way_to_disk = 0;                          // received, not yet written
    std::deque<std::pair<std::uint32_t, std::uint64_t>> chunks;  // being requested: chunk, next offset
    std::set<std::uint32_t> receiving;                           // chunks with pieces still to arrive
  };

  asio::awaitable<bool> prepare();
  // Takes the server's description of the file; false (and failed) if it does not fit.
  bool describe(const wire::FileInfo& info);
  // Opens (or resumes) the partial file; the chunks already verified, or nullopt (and
  // failed) if it cannot be stored.
  asio::awaitable<std::optional<std::string>> open_partial();
  // The picker, and the counts of wanted chunks and of those already `have`.
  void count_wanted(const std::string& have);
  asio::awaitable<void> connect(std::vector<std::string> users);
  asio::awaitable<void> connect_one(std::string user);
  asio::awaitable<bool> refresh();
  void fill(const std::string& user);
  void fill_all();
  void drop_source(const std::string& user, const std::string& why);
  // The piece `id` that `user` answered, taken off its queue; nullopt if the answer is
  // to be ignored (or cost the source its place). `*ours`: the id is one of ours.
  std::optional<Piece> answered(const std::string& user, std::uint32_t id, bool* ours);
  Buffer take_buffer();
  void on_written(const std::string& user, const Piece& piece, std::optional<bool> verified,
                  const std::string& have, const std::string& error);
  bool idle() const;
  void check_progress();
  asio::awaitable<void> finish();
  void fail(std::string error);
  void wake() { wake_.notify(); }
  std::string missing_chunks(bool only_reachable) const;

  Env env_;
  std::string file_;
  std::vector<std::uint32_t> wanted_;
  asio::strand<asio::thread_pool::executor_type> disk_;
  net::AsyncEvent wake_;  // run() and connect() wait on it for anything that may let them go on
  FileMeta meta_;
  std::optional<files::Chunking> chunking_;  // set once the file is known
  std::unique_ptr<PartialFile> partial_;     // touched only on disk_
  std::optional<ChunkPicker> picker_;
  std::map<std::string, Source> sources_;
  std::map<std::uint32_t, std::string> piece_owner_;  // piece id -> source
  std::set<std::string> listed_;                      // holders the server named
  std::vector<std::string> candidates_;               // the first ones to dial
  std::map<std::string, std::uint64_t> sent_by_;      // verified bytes per source
  std::map<std::string, wire::LinkPath> paths_;       // of each source's link
  std::vector<Buffer> spare_;                         // of kMaxPiece bytes; no more than the windows hold
  std::size_t dialing_ = 0;
  std::size_t verifying_ = 0;  // chunks whose last piece is on its way to disk
  State state_ = State::running;
  std::string error_;
  std::uint32_t done_ = 0, total_ = 0, resumed_ = 0, fetched_ = 0;
  std::uint64_t bytes_ = 0, total_bytes_ = 0, fetched_bytes_ = 0;
  std::filesystem::path path_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> ended_;
  bool complete_ = false;  // every wanted chunk verified
  bool started_flag_ = false;
};

const char* to_string(Download::State state);

}  // namespace parley::peer
