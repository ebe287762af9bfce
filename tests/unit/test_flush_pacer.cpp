#include <doctest/doctest.h>

#include <chrono>

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
