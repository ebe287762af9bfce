// What a holder reports it is serving (ChunkServer::serving) and the rate meter behind
// it; no sockets: frames go to a fake link.
#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <fstream>

#include "peer/sharing/catalog.hpp"
#include "peer/sharing/chunk_server.hpp"
#include "peer/sharing/rate_meter.hpp"
#include "shared/files/bitfield.hpp"
#include "shared/files/hashing.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley;
using namespace std::chrono_literals;
using peer::RateMeter;

TEST_CASE("rate meter: bytes per second over the last seconds, never over less than one") {
  const auto t0 = RateMeter::Clock::time_point{} + 1h;
  RateMeter meter(5s);
  CHECK(meter.rate(t0) == 0);
  meter.add(1000, t0);
  CHECK(meter.rate(t0) == doctest::Approx(1000));  // one piece is not a burst of infinite speed
  meter.add(1000, t0 + 1s);
  meter.add(1000, t0 + 2s);
  CHECK(meter.rate(t0 + 2s) == doctest::Approx(1500));  // 3000 bytes over 2 s
  CHECK(meter.rate(t0 + 4s) == doctest::Approx(750));   // nothing since: the rate falls
  CHECK(meter.rate(t0 + 6s) == doctest::Approx(400));   // the first 1000 left the window
  CHECK(meter.rate(t0 + 8s) == 0);                      // stalled: zero, not the session average
  meter.add(500, t0 + 60s);
  CHECK(meter.rate(t0 + 60s + 500ms) == doctest::Approx(500));  // a fresh start is not diluted
}

TEST_CASE("rate meter: many small additions cost a bounded number of buckets") {
  const auto t0 = RateMeter::Clock::time_point{} + 1h;
  RateMeter meter(5s);
  for (int i = 0; i < 100'000; ++i) meter.add(10, t0 + std::chrono::microseconds(i * 100));  // 10 s
  // The last 5 s: 50,000 additions of 10 bytes.
  CHECK(meter.rate(t0 + 10s) == doctest::Approx(100'000).epsilon(0.03));
}

namespace {

struct Served {
  Served() : catalog(dir / "catalog.json") {
    content = std::string(4000, 'x');
    std::ofstream(dir / "a.bin", std::ios::binary) << content;
    std::ofstream(dir / "b.bin", std::ios::binary) << content;
    auto chunking = *files::Chunking::make(content.size(), 4);
    for (const char* name : {"a.bin", "b.bin"}) {
      auto digests = files::digest_file(dir / name, chunking);
      catalog.put(peer::SharedFile{peer::FileMeta{name, content.size(), 4, digests.file, digests.chunks},
                                   dir / name, false, files::full_bitfield(4), 0, true});
    }
    server = std::make_unique<peer::ChunkServer>(io.get_executor(), disk, catalog,
                                                 [this](const std::string& user, wire::SharedFrame) {
                                                   ++sent[user];
                                                   return true;
                                                 });
  }
  // Runs the loop until `n` frames went out in all, within a hard deadline.
  void until_sent(std::size_t n) {
    auto guard = asio::make_work_guard(io);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    auto total = [&] {
      std::size_t t = 0;
      for (const auto& [user, count] : sent) t += count;
      return t;
    };
    while (total() < n && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
    REQUIRE(total() == n);
  }

  test::TempDir dir;
  asio::io_context io;
  asio::thread_pool disk{1};
  peer::Catalog catalog;
  std::string content;
  std::unique_ptr<peer::ChunkServer> server;
  std::map<std::string, std::size_t> sent;
};

}  // namespace

TEST_CASE("chunk server: serving() tells bytes sent per requester and file, until their link closes") {
  Served s;
  CHECK(s.server->serving().empty());
  s.server->on_request("bob", wire::PieceRequest{1, "a.bin", 0, 0, 1000});
  s.server->on_request("bob", wire::PieceRequest{2, "a.bin", 1, 0, 600});
  s.server->on_request("bob", wire::PieceRequest{3, "b.bin", 2, 0, 1000});
  s.server->on_request("carol", wire::PieceRequest{4, "a.bin", 3, 500, 500});
  s.server->on_request("carol", wire::PieceRequest{5, "nope.bin", 0, 0, 10});  // refused: not counted
  s.until_sent(5);

  auto serving = s.server->serving();
  REQUIRE(serving.size() == 3);
  CHECK(serving[0].user == "bob");
  CHECK(serving[0].file == "a.bin");
  CHECK(serving[0].bytes == 1600);
  CHECK(serving[0].rate == doctest::Approx(1600).epsilon(0.01));  // within the first second
  CHECK(serving[1].user == "bob");
  CHECK(serving[1].file == "b.bin");
  CHECK(serving[1].bytes == 1000);
  CHECK(serving[2].user == "carol");
  CHECK(serving[2].file == "a.bin");
  CHECK(serving[2].bytes == 500);
  CHECK(s.server->bytes_served() == 3100);

  s.server->forget("bob");  // bob's transfer link closed
  serving = s.server->serving();
  REQUIRE(serving.size() == 1);
  CHECK(serving[0].user == "carol");
  CHECK(s.server->bytes_served() == 3100);  // the session total stays
}
