// Issue 17: what may wait on disk for one recipient, and from one sender, is bounded;
// past it a message for an offline recipient is refused as rate_limited, and reading
// makes room again.
#include <doctest/doctest.h>

#include "shared/util/hex.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/replies.hpp"

using namespace parley;
using namespace parley::test;
using wire::Status;

namespace {

Status status_of(TestClient& c, const std::string& to, const std::string& text) {
  return message(c, {to}, text).recipients.at(0).status;
}

}  // namespace

TEST_CASE("stored messages for one offline recipient are bounded; reading them makes room") {
  TestServer server([](auto& c) {
    c.fair_use.rate_limits = false;
    c.mailbox_quota.max_per_recipient = 3;
  });
  TestClient alice(server.port()), carol(server.port());
  alice.sign_in("alice");
  carol.sign_in("carol");
  for (int i = 0; i < 3; ++i)
    CHECK(status_of(alice, "bob", "hi " + std::to_string(i)) == Status::stored_offline);
  CHECK(status_of(alice, "bob", "one too many") == Status::rate_limited);
  CHECK(status_of(carol, "bob", "from carol") == Status::rate_limited);  // bob's box is full
  // A group message is refused only for the recipient whose box is full.
  auto group = message(carol, {"bob", "dave"}, "to both");
  CHECK(group.recipients.at(0).status == Status::rate_limited);
  CHECK(group.recipients.at(1).status == Status::stored_offline);

  TestClient bob(server.port());
  bob.sign_in("bob");
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    auto chat = bob.wait<wire::ChatEvent>();
    REQUIRE(chat);
    CHECK(chat->offline);
    seqs.push_back(chat->seq);
  }
  bob.send(wire::AckOffline{seqs});
  REQUIRE(bob.call(wire::Ping{}));  // the acknowledgement was read before the answer
  bob.disconnect();
  CHECK(status_of(alice, "bob", "room again") == Status::stored_offline);
}

TEST_CASE("stored messages from one sender are bounded, whoever they are for") {
  TestServer server([](auto& c) {
    c.fair_use.rate_limits = false;
    c.mailbox_quota.max_per_sender = 2;
  });
  TestClient alice(server.port()), carol(server.port());
  alice.sign_in("alice");
  carol.sign_in("carol");
  CHECK(status_of(alice, "bob", "one") == Status::stored_offline);
  CHECK(status_of(alice, "dave", "two") == Status::stored_offline);
  CHECK(status_of(alice, "eve", "three") == Status::rate_limited);
  CHECK(status_of(carol, "eve", "carol is not alice") == Status::stored_offline);
  // Online recipients are not limited by what waits on disk.
  CHECK(status_of(alice, "carol", "live") != Status::rate_limited);
}

TEST_CASE("the bytes waiting for one recipient are bounded too") {
  TestServer server([](auto& c) {
    c.fair_use.rate_limits = false;
    c.mailbox_quota.max_bytes_per_recipient = 10'000;
  });
  TestClient alice(server.port());
  alice.sign_in("alice");
  const std::string big(4000, 'x');
  CHECK(status_of(alice, "bob", big) == Status::stored_offline);
  CHECK(status_of(alice, "bob", big) == Status::stored_offline);
  CHECK(status_of(alice, "bob", big) == Status::rate_limited);
  CHECK(status_of(alice, "bob", "small still fits") == Status::stored_offline);
}
