#include <doctest/doctest.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <memory>

#include "shared/net/flush_scheduler.hpp"

using parley::net::FlushPacer;
using namespace std::chrono_literals;

namespace {
const FlushPacer::Clock::time_point t0{};
}

TEST_CASE("flush pacer: output caused by the only input leaves at the end of the pass") {
  FlushPacer pacer({.max_deferrals = 2, .max_delay = 1ms});
  pacer.note_input();  // the read that queued the output came before start()
  pacer.start(t0);
  CHECK(pacer.flush_now(t0 + 10us));
}

TEST_CASE("flush pacer: while the loop keeps finding input, output waits a bounded number of passes") {
  FlushPacer pacer({.max_deferrals = 2, .max_delay = 1ms});
  pacer.start(t0);
  pacer.note_input();
  CHECK_FALSE(pacer.flush_now(t0 + 10us));
  pacer.note_input();
  CHECK_FALSE(pacer.flush_now(t0 + 20us));
  pacer.note_input();
  CHECK(pacer.flush_now(t0 + 30us));  // third pass with input: the bound
}

TEST_CASE("flush pacer: a pass without input ends the wait") {
  FlushPacer pacer({.max_deferrals = 4, .max_delay = 1ms});
  pacer.start(t0);
  pacer.note_input();
  CHECK_FALSE(pacer.flush_now(t0 + 10us));
  CHECK(pacer.flush_now(t0 + 20us));  // the input seen before is not counted again
}

TEST_CASE("flush pacer: output never waits longer than the delay bound") {
  FlushPacer pacer({.max_deferrals = 100, .max_delay = 1ms});
  pacer.start(t0);
  pacer.note_input();
  CHECK_FALSE(pacer.flush_now(t0 + 999us));
  pacer.note_input();
  CHECK(pacer.flush_now(t0 + 1ms));
}

TEST_CASE("flush pacer: each round starts with a fresh budget") {
  FlushPacer pacer({.max_deferrals = 1, .max_delay = 1ms});
  pacer.start(t0);
  pacer.note_input();
  CHECK_FALSE(pacer.flush_now(t0 + 10us));
  pacer.note_input();
  CHECK(pacer.flush_now(t0 + 20us));
  pacer.start(t0 + 5ms);
  pacer.note_input();
  CHECK_FALSE(pacer.flush_now(t0 + 5ms + 10us));
}

TEST_CASE("flush pacer: zero deferrals flushes every pass") {
  FlushPacer pacer({.max_deferrals = 0, .max_delay = 1ms});
  pacer.start(t0);
  pacer.note_input();
  CHECK(pacer.flush_now(t0));
}

// The scheduler on a real event loop, with stand-ins for connections (no sockets):
// io.poll_one() runs one handler, i.e. one end-of-pass check.
namespace {
struct FakeConnection : parley::net::Flushable {
  int flushes = 0;
  std::size_t queued = 100;
  void flush() override { ++flushes; }
  std::size_t queued_bytes() const override { return queued; }
};
}  // namespace

TEST_CASE("flush scheduler: by default every pass flushes, even while input keeps coming") {
  asio::io_context io;
  auto& scheduler = asio::use_service<parley::net::FlushScheduler>(io);
  auto a = std::make_shared<FakeConnection>(), b = std::make_shared<FakeConnection>();
  scheduler.add(a, io.get_executor());
  scheduler.add(b, io.get_executor());
  scheduler.note_input();
  CHECK(io.poll_one() == 1);
  CHECK(a->flushes == 1);
  CHECK(b->flushes == 1);
  CHECK(io.poll_one() == 0);  // nothing left waiting
}

TEST_CASE("flush scheduler: with deferral allowed, output waits while input comes, within the bound") {
  asio::io_context io;
  auto& scheduler = asio::use_service<parley::net::FlushScheduler>(io);
  scheduler.set_bounds({.max_deferrals = 2, .max_delay = 1h});
  auto a = std::make_shared<FakeConnection>();
  scheduler.add(a, io.get_executor());
  scheduler.note_input();
  CHECK(io.poll_one() == 1);
  CHECK(a->flushes == 0);
  scheduler.note_input();
  CHECK(io.poll_one() == 1);
  CHECK(a->flushes == 0);
  scheduler.note_input();
  CHECK(io.poll_one() == 1);
  CHECK(a->flushes == 1);  // two deferrals used up
  // A later round starts again, and a pass without input flushes at once.
  io.restart();  // the loop stopped when it ran out of work
  scheduler.add(a, io.get_executor());
  CHECK(io.poll_one() == 1);
  CHECK(a->flushes == 2);
}

TEST_CASE("flush scheduler: a connection with a full record queued is written at every pass") {
  asio::io_context io;
  auto& scheduler = asio::use_service<parley::net::FlushScheduler>(io);
  scheduler.set_bounds({.max_deferrals = 8, .max_delay = 1h});
  auto small = std::make_shared<FakeConnection>(), full = std::make_shared<FakeConnection>();
  full->queued = parley::net::FlushScheduler::kFullRecord;
  scheduler.add(small, io.get_executor());
  scheduler.add(full, io.get_executor());
  scheduler.note_input();
  CHECK(io.poll_one() == 1);
  CHECK(full->flushes == 1);
  CHECK(small->flushes == 0);
  CHECK(io.poll_one() == 1);  // no input this pass
  CHECK(small->flushes == 1);
  CHECK(full->flushes == 1);  // flushed once, not again
}
