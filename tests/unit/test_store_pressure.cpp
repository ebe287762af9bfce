// Back-pressure on the store, without a store: when to pause a feeder, when to resume.
#include <doctest/doctest.h>

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
