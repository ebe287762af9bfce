// The server's memory limits without a server: when to pause a feeder of the store, when
// to resume, when to give memory back.
#include <doctest/doctest.h>

#include "server/limits/memory_trim.hpp"
#include "server/limits/store_pressure.hpp"

using parley::server::limits::StorePressure;

TEST_CASE("store pressure: paused past the high-water mark, resumed at the low-water mark") {
  StorePressure p(256, 64);
  p.queued(200);
  CHECK_FALSE(p.backlogged());
  p.queued(100);
  CHECK(p.backlogged());
  CHECK_FALSE(p.committed(100));  // 200 left: still above the low-water mark
  CHECK(p.committed(136));        // 64 left: resume
  CHECK_FALSE(p.backlogged());
  CHECK(p.committed(1000));  // never below zero
  CHECK(p.depth() == 0);
}

TEST_CASE("store pressure: a loop pass's batch not handed over yet counts") {
  StorePressure p(256, 64);
  p.queued(100);
  CHECK_FALSE(p.backlogged(156));
  CHECK(p.backlogged(157));  // the flooder is paused within the pass that fills it
}

TEST_CASE("memory trim: once the connections fell to half their peak, by enough to matter") {
  parley::server::limits::MemoryTrim trim(256);
  for (std::size_t n = 1; n <= 3000; ++n) trim.note(n);
  CHECK_FALSE(trim.due(2000));  // a third gone: not yet
  CHECK(trim.due(1400));        // under half the peak
  CHECK_FALSE(trim.due(1400));  // once per drop
  CHECK(trim.due(600));         // half of the new peak gone again
  CHECK_FALSE(trim.due(500));   // 100 fewer: not enough to matter

  parley::server::limits::MemoryTrim quiet(256);
  for (std::size_t n = 1; n <= 200; ++n) quiet.note(n);
  CHECK_FALSE(quiet.due(0));  // a small server emptying is no flood
}
