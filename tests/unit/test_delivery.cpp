// The acknowledgement bookkeeping without sockets: what to show and acknowledge, how
// acknowledgements are framed, and how each recipient's receipt moves.
#include <doctest/doctest.h>

#include "peer/engine/delivery.hpp"

using namespace parley;
using namespace parley::peer;

TEST_CASE("delivery: a message is shown once and acknowledged every time it comes") {
  CHECK(on_arrival(false, 7).show);
  CHECK(on_arrival(false, 7).acknowledge);
  // A redelivery: the server did not see our acknowledgement, so it gets another one.
  CHECK_FALSE(on_arrival(true, 7).show);
  CHECK(on_arrival(true, 7).acknowledge);
  // Without a mailbox id (an old server's live message) there is nothing to acknowledge.
  CHECK(on_arrival(false, 0).show);
  CHECK_FALSE(on_arrival(false, 0).acknowledge);
}

TEST_CASE("delivery: acknowledgements go in one flush per burst, at most 256 to a frame, each once") {
  AckBatch batch;
  CHECK(batch.empty());
  CHECK(batch.add(5));  // the first: schedule a flush
  CHECK_FALSE(batch.add(6));
  CHECK_FALSE(batch.add(5));  // acknowledged twice in one pass: sent once
  auto frames = batch.take();
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].seqs == std::vector<std::int64_t>{5, 6});
  CHECK(batch.empty());
  CHECK(batch.take().empty());

  CHECK(batch.add(1));  // a new pass schedules a new flush
  for (std::int64_t seq = 2; seq <= 600; ++seq) CHECK_FALSE(batch.add(seq));
  frames = batch.take();
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].seqs.size() == AckBatch::kMaxPerFrame);
  CHECK(frames[1].seqs.size() == AckBatch::kMaxPerFrame);
  CHECK(frames[2].seqs.size() == 600 - 2 * AckBatch::kMaxPerFrame);
  CHECK(frames[0].seqs.front() == 1);
  CHECK(frames[2].seqs.back() == 600);
}

TEST_CASE("delivery: the server's answer per recipient") {
  CHECK(delivery_of(wire::Status::ok) == Delivery::delivered);
  CHECK(delivery_of(wire::Status::stored_offline) == Delivery::stored);
  CHECK(delivery_of(wire::Status::blocked) == Delivery::refused);
  CHECK(delivery_of(wire::Status::unknown_user) == Delivery::refused);
  CHECK(delivery_name(Delivery::queued) == "queued");
  CHECK(delivery_name(Delivery::sent) == "sent");
  CHECK(delivery_name(Delivery::stored) == "stored");
  CHECK(delivery_name(Delivery::delivered) == "delivered");
  CHECK(delivery_name(Delivery::refused) == "refused");
}

TEST_CASE("delivery: receipts only move forward") {
  using D = Delivery;
  CHECK(advances(D::queued, D::sent));
  CHECK(advances(D::sent, D::queued));  // the connection dropped before the answer
  CHECK_FALSE(advances(D::sent, D::sent));
  CHECK(advances(D::sent, D::stored));
  CHECK(advances(D::queued, D::stored));  // answered while we thought it queued
  CHECK(advances(D::sent, D::delivered));
  CHECK(advances(D::stored, D::delivered));
  CHECK(advances(D::sent, D::refused));
  CHECK_FALSE(advances(D::stored, D::stored));
  CHECK_FALSE(advances(D::stored, D::sent));
  CHECK_FALSE(advances(D::stored, D::refused));
  CHECK_FALSE(advances(D::delivered, D::stored));  // a late answer after the receipt
  CHECK_FALSE(advances(D::delivered, D::delivered));
  CHECK_FALSE(advances(D::delivered, D::queued));
  CHECK_FALSE(advances(D::refused, D::delivered));
}

TEST_CASE("delivery: the tracker tells each recipient's move once, names in any case") {
  ReceiptTracker tracker;
  tracker.track("m1", {"bob", "Carol"}, Delivery::sent, "hi");
  CHECK(tracker.text("m1") == "hi");
  CHECK(tracker.state("m1", "bob") == Delivery::sent);
  CHECK(tracker.update("m1", "bob", Delivery::stored));
  CHECK_FALSE(tracker.update("m1", "BOB", Delivery::stored));  // the same news again
  CHECK(tracker.update("m1", "carol", Delivery::delivered));
  CHECK(tracker.update("m1", "bob", Delivery::delivered));  // the later Receipt
  CHECK_FALSE(tracker.update("m1", "bob", Delivery::delivered));
  CHECK_FALSE(tracker.update("m1", "bob", Delivery::stored));
  CHECK(tracker.state("m1", "Bob") == Delivery::delivered);
  CHECK_FALSE(tracker.state("m1", "dave").has_value());
  CHECK_FALSE(tracker.state("nope", "bob").has_value());

  // A receipt for a message sent before a restart: news, even though not tracked.
  CHECK(tracker.update("old", "bob", Delivery::delivered));
  CHECK(tracker.text("old").empty());
  CHECK_FALSE(tracker.update("old", "bob", Delivery::delivered));
}

TEST_CASE("delivery: the tracker forgets its oldest messages first") {
  ReceiptTracker tracker(2);
  tracker.track("a", {"bob"}, Delivery::sent, "1");
  tracker.track("b", {"bob"}, Delivery::sent, "2");
  tracker.track("c", {"bob"}, Delivery::sent, "3");
  CHECK(tracker.size() == 2);
  CHECK_FALSE(tracker.state("a", "bob").has_value());
  CHECK(tracker.state("c", "bob") == Delivery::sent);
  tracker.track("b", {"bob"}, Delivery::queued, "2");  // tracked again: no new slot
  CHECK(tracker.size() == 2);
  CHECK(tracker.state("b", "bob") == Delivery::queued);
}
