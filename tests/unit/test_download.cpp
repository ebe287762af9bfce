// Download through its Env with fakes: a real event loop and disk pool, no sockets.
// Fake holders answer each PieceRequest from in-memory bytes, posted so the answer
// comes later as it would from a link; they can refuse the link, corrupt every chunk,
// or lose their link after some pieces.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "peer/download/download.hpp"
#include "shared/files/bitfield.hpp"
#include "shared/files/hashing.hpp"
#include "shared/wire/limits.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley;
using namespace std::chrono_literals;
using peer::Download;

namespace {

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& b : out) b = static_cast<char>(rng());
  return out;
}

files::Digest digest(std::string_view bytes) {
  return files::sha256(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct FakeHolder {
  bool link_opens = true;
  bool corrupt = false;                     // flips a byte of every chunk it sends
  std::optional<std::size_t> closes_after;  // pieces answered before its link closes
  bool closed = false;
  std::vector<wire::PieceRequest> requests;  // in the order they were sent
  std::size_t answered = 0;
  std::set<std::uint32_t> chunks_sent;  // whose last piece the download took
  std::size_t dials = 0;
};

class Harness {
 public:
  static constexpr const char* kFile = "movie.bin";

  // A file of `chunks` chunks of `chunk_bytes` each: several pieces per chunk when it is
  // more than kMaxPiece, so a chunk can be cut off midway.
  Harness(std::uint32_t chunks, std::size_t chunk_bytes)
      : content(random_bytes(chunks * chunk_bytes, chunks)),
        chunking(*files::Chunking::make(content.size(), chunks)) {
    info.name = kFile;
    info.size = content.size();
    info.chunk_count = chunks;
    info.file_hash = digest(content);
    for (std::uint32_t c = 0; c < chunks; ++c) info.chunk_hashes.push_back(digest(chunk(c)));
  }

  FakeHolder& holder(const std::string& user) {
    if (!holders.contains(user)) info.holders.push_back({user, files::full_bitfield(info.chunk_count)});
    return holders[user];
  }

  std::string_view chunk(std::uint32_t c) const {
    auto r = chunking.range(c);
    return std::string_view(content).substr(r.offset, r.length);
  }

  // Runs a download of `wanted` until on_end, within a hard deadline.
  void run(std::vector<std::uint32_t> wanted = {}) {
    download = std::make_shared<Download>(env(), kFile, std::move(wanted));
    asio::co_spawn(io, download->run(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    auto guard = asio::make_work_guard(io);  // the disk pool posts back: never run out of work
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!ended && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
    REQUIRE(ended);
  }

  // Chunks asked of `user`, whatever piece of them.
  std::set<std::uint32_t> chunks_asked(const std::string& user) {
    std::set<std::uint32_t> out;
    for (const auto& r : holders[user].requests) out.insert(r.chunk);
    return out;
  }

  asio::io_context io;
  asio::thread_pool disk{2};
  test::TempDir dir;
  std::string content;
  files::Chunking chunking;
  wire::FileInfo info;
  bool registered = true;
  std::map<std::string, FakeHolder> holders;
  std::shared_ptr<Download> download;
  bool ended = false;
  std::vector<std::pair<std::string, std::uint32_t>> corrupt;  // holder, chunk
  std::vector<std::size_t> requests_at_corrupt;                // the holder's requests by then
  std::string have;                                            // the last bitfield announced
  bool complete = false;
  std::size_t progress = 0;

 private:
  Download::Env env() {
    Download::Env env;
    env.loop = io.get_executor();
    env.disk = &disk;
    env.dir = dir / "downloads";
    env.self = "me";
    env.lookup = [this](const std::string& name, std::string* error) { return lookup(name, error); };
    env.open_link = [this](const std::string& user) { return open_link(user); };
    env.send = [this](const std::string& user, const wire::LinkMessage& m) { return send(user, m); };
    env.budget = std::make_shared<peer::RequestBudget>(wire::kMaxPiecesInFlight);
    env.on_have = [this](const peer::FileMeta&, const std::filesystem::path&, const std::string& bits,
                         bool whole) {
      have = bits;
      complete = whole;
    };
    env.on_progress = [this](const Download&) { ++progress; };
    env.on_corrupt = [this](const Download&, const std::string& holder, std::uint32_t c) {
      corrupt.emplace_back(holder, c);
      requests_at_corrupt.push_back(holders[holder].requests.size());
    };
    env.on_end = [this](const Download&) { ended = true; };
    return env;
  }

  asio::awaitable<std::optional<wire::FileInfo>> lookup(std::string name, std::string* error) {
    co_await asio::post(io, asio::use_awaitable);
    if (!registered || name != kFile) {
      *error = name + " is not registered";
      co_return std::nullopt;
    }
    co_return info;
  }

  asio::awaitable<std::string> open_link(std::string user) {
    co_await asio::post(io, asio::use_awaitable);
    FakeHolder& h = holders.at(user);
    ++h.dials;
    co_return h.link_opens ? std::string{} : user + " is unreachable";
  }

  bool send(const std::string& user, const wire::LinkMessage& message) {
    FakeHolder& h = holders.at(user);
    if (h.closed) return false;
    const auto& request = std::get<wire::PieceRequest>(message);
    CHECK(request.file == kFile);
    h.requests.push_back(request);
    asio::post(io, [this, user, request] { answer(user, request); });
    return true;
  }

  void answer(const std::string& user, const wire::PieceRequest& request) {
    FakeHolder& h = holders.at(user);
    if (h.closed) return;  // the link is gone, and the answer with it
    std::string bytes(chunk(request.chunk).substr(request.offset, request.length));
    if (h.corrupt && request.offset == 0) bytes[0] = static_cast<char>(bytes[0] ^ 0x5a);
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    // False for answers the download stopped waiting for (it dropped this holder).
    const bool taken = download->on_piece(user, wire::PieceView{request.id, std::span(data, bytes.size())});
    if (taken && request.offset + request.length == chunking.range(request.chunk).length)
      h.chunks_sent.insert(request.chunk);
    if (++h.answered == h.closes_after) {
      h.closed = true;
      // As the link manager reports it: later, from the event loop.
      asio::post(io, [this, user] { download->on_link_closed(user); });
    }
  }
};

}  // namespace

TEST_CASE("download: a whole file from two holders, each sending part of it, lands whole and right") {
  Harness h(8, 3 * wire::kMaxPiece / 2);
  h.holder("bob");
  h.holder("carol");
  h.run();
  CHECK(h.download->state() == Download::State::finished);
  CHECK(h.download->error().empty());
  CHECK(h.download->started());
  CHECK(h.download->done() == 8);
  CHECK(h.download->fetched() == 8);
  CHECK(h.download->bytes() == h.content.size());
  CHECK(h.download->path() == h.dir / "downloads" / Harness::kFile);
  CHECK(read_file(h.download->path()) == h.content);
  CHECK(h.download->sources() == std::vector<std::string>{"bob", "carol"});
  CHECK(h.complete);
  CHECK(h.progress == 8);
  CHECK(h.corrupt.empty());
  // Never the same chunk from both.
  for (auto c : h.chunks_asked("bob")) CHECK_FALSE(h.chunks_asked("carol").contains(c));
  CHECK(h.download->wanted().empty());
  const double elapsed = h.download->elapsed_seconds();
  CHECK(elapsed >= 0);
  CHECK(h.download->elapsed_seconds() == elapsed);  // stopped at the end
}

TEST_CASE("download: a holder whose link cannot be opened is not a source; the other one sends all") {
  Harness h(4, 1000);
  h.holder("bob").link_opens = false;
  h.holder("carol");
  h.run();
  CHECK(h.download->state() == Download::State::finished);
  CHECK(h.holders["bob"].dials == 1);
  CHECK(h.holders["bob"].requests.empty());
  CHECK(h.chunks_asked("carol") == std::set<std::uint32_t>{0, 1, 2, 3});
  CHECK(read_file(h.download->path()) == h.content);
}

TEST_CASE("download: a holder sending a corrupt chunk is reported, never asked again, and replaced") {
  Harness h(8, 2000);
  h.holder("bob");
  h.holder("mallory").corrupt = true;
  h.run();
  CHECK(h.download->state() == Download::State::finished);
  CHECK(read_file(h.download->path()) == h.content);
  // Every chunk mallory sent is reported (some were already on their way to disk when
  // the first failed its check), and each came again from bob.
  REQUIRE_FALSE(h.corrupt.empty());
  for (const auto& [holder, chunk] : h.corrupt) {
    CHECK(holder == "mallory");
    CHECK(h.chunks_asked("bob").contains(chunk));
  }
  CHECK(h.corrupt.size() == h.holders["mallory"].chunks_sent.size());
  CHECK(h.holders["mallory"].requests.size() == h.requests_at_corrupt[0]);  // nothing asked since
  CHECK(h.download->sources() == std::vector<std::string>{"bob"});
  CHECK(h.download->fetched() == 8);
}

TEST_CASE("download: a holder whose link closes midway costs only the chunk it was sending") {
  // Three pieces per chunk; carol answers four: one whole chunk and the first piece of
  // the next, then her link closes.
  Harness h(6, 2 * wire::kMaxPiece + 1000);
  h.holder("bob");
  h.holder("carol").closes_after = 4;
  h.run();
  CHECK(h.download->state() == Download::State::finished);
  CHECK(read_file(h.download->path()) == h.content);
  const auto& carol = h.holders["carol"];
  REQUIRE(carol.chunks_sent.size() == 1);
  const auto kept = *carol.chunks_sent.begin();
  const auto cut = carol.requests[3].chunk;  // the one she was in the middle of
  CHECK(cut != kept);
  CHECK_FALSE(h.chunks_asked("bob").contains(kept));  // what carol sent whole counts
  CHECK(h.chunks_asked("bob").contains(cut));         // what she cut off comes from bob
  std::set<std::uint32_t> from_bob = h.chunks_asked("bob");
  from_bob.insert(kept);
  CHECK(from_bob.size() == 6);
  CHECK(h.download->sources() == std::vector<std::string>{"bob", "carol"});
  CHECK(h.download->fetched() == 6);
  CHECK(h.corrupt.empty());
}

TEST_CASE("download: an unknown file fails before it starts, and nobody is dialed") {
  Harness h(2, 100);
  h.holder("bob");
  h.registered = false;
  h.run();
  CHECK(h.download->state() == Download::State::failed);
  CHECK_FALSE(h.download->started());
  CHECK(h.download->error() == "movie.bin is not registered");
  CHECK(h.holders["bob"].dials == 0);
  CHECK_FALSE(std::filesystem::exists(h.dir / "downloads"));
}

TEST_CASE("download: a chunk out of range fails before it starts") {
  Harness h(4, 100);
  h.holder("bob");
  h.run({1, 4});
  CHECK(h.download->state() == Download::State::failed);
  CHECK_FALSE(h.download->started());
  CHECK(h.download->error() == "chunk 5 is out of range: movie.bin has chunks 1 to 4");
  CHECK(h.holders["bob"].dials == 0);
}

TEST_CASE("download: some chunks only: those are fetched and verified, the file stays partial") {
  Harness h(6, 5000);
  h.holder("bob");
  h.run({1, 4});
  CHECK(h.download->state() == Download::State::finished);
  CHECK(h.download->wanted() == std::vector<std::uint32_t>{1, 4});
  CHECK(h.download->done() == 2);
  CHECK(h.download->total() == 2);
  CHECK(h.download->total_bytes() == 10000);
  CHECK(h.chunks_asked("bob") == std::set<std::uint32_t>{1, 4});
  CHECK_FALSE(h.complete);
  CHECK_FALSE(std::filesystem::exists(h.dir / "downloads" / Harness::kFile));
  std::string expected_have(1, '\0');
  expected_have[0] = static_cast<char>((1 << 1) | (1 << 4));
  CHECK(h.have == expected_have);
  // What is on disk is checked again from scratch, as a restart would.
  const peer::FileMeta meta{h.info.name, h.info.size, h.info.chunk_count, h.info.file_hash,
                            h.info.chunk_hashes};
  CHECK(peer::PartialFile::verified_chunks(h.dir / "downloads", meta) == expected_have);
  const std::string part = read_file(h.download->path());
  for (std::uint32_t c : {1u, 4u}) {
    auto r = h.chunking.range(c);
    CHECK(part.substr(r.offset, r.length) == h.chunk(c));
  }
}
