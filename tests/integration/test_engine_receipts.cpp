// Receipts and the outbox of the peer engine against a real server: every message waits
// on disk until the server answers, an unanswered one goes out again with its id, and
// each recipient's receipt is told once (stored, then delivered).
#include <doctest/doctest.h>

#include <future>

#include "tests/integration/engine_fixture.hpp"

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;
namespace ev = peer::ev;

namespace {

// What the protocol 6 server sends when the recipient's peer acknowledged a message the
// sender was told was stored.
void send_receipt(TestServer& server, const std::string& to, const std::string& msg_id,
                  const std::string& recipient) {
  server.on_server([&](server::Server& s) {
    auto session = s.registry().session_of(to);
    REQUIRE(session);
    s.deliver(server::Outbound{{*session}, wire::Receipt{msg_id, recipient}});
  });
}

std::vector<peer::StoredMessage> history(Fixture& f, EnginePeer& p, const std::string& with) {
  REQUIRE(f.execute(p, "history " + with + " 10"));
  return p.all<ev::History>().back().messages;
}

}  // namespace

TEST_CASE("engine receipts: our line at once, then stored, then delivered, each told once") {
  Fixture f;
  auto alice = f.log_in("alice");
  CHECK(f.execute(*alice, "message bob hi"));  // bob is offline
  auto sent = alice->all<ev::Sent>();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].pending);  // shown before the server answered
  CHECK_FALSE(sent[1].pending);
  CHECK_FALSE(sent[1].resent);
  CHECK(sent[1].id == sent[0].id);
  const std::string id = sent[0].id;
  REQUIRE(sent[1].receipts.size() == 1);
  CHECK(sent[1].receipts[0].to == "bob");
  CHECK(sent[1].receipts[0].state == "stored");
  auto lines = history(f, *alice, "bob");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].state == "stored");

  send_receipt(f.server, "alice", id, "bob");
  REQUIRE(f.run_until([&] { return alice->has<ev::Receipt>(); }));
  auto receipt = alice->all<ev::Receipt>().front();
  CHECK(receipt.id == id);
  CHECK(receipt.to == "bob");
  CHECK(receipt.state == "delivered");
  CHECK(receipt.text == "hi");
  send_receipt(f.server, "alice", id, "bob");  // again: nothing new to tell
  CHECK(f.execute(*alice, "ping"));            // answered after the receipt went out
  CHECK(history(f, *alice, "bob")[0].state == "delivered");
  CHECK(alice->all<ev::Receipt>().size() == 1);
}

TEST_CASE("engine receipts: a group's recipients each have their own state") {
  Fixture f;
  auto alice = f.log_in("alice");
  auto bob = f.log_in("bob");
  CHECK_FALSE(f.execute(*alice, "message bob,carol,nobody hi all"));
  auto answer = alice->all<ev::Sent>().back();
  std::vector<std::pair<std::string, std::string>> told;
  for (const auto& r : answer.receipts) told.emplace_back(r.to, r.state);
  // Today's server answers `ok` for an online recipient at once; protocol 6 only once
  // bob's peer acknowledged it: delivered either way.
  CHECK(told == std::vector<std::pair<std::string, std::string>>{{"bob", "delivered"}, {"carol", "stored"}});
  auto line = history(f, *alice, "carol").back();
  CHECK(line.state == "mixed");
  CHECK(line.to_state == std::vector<std::string>{"delivered", "stored", "refused"});
}

TEST_CASE("engine receipts: a message the server never answered goes out again, once, with its id") {
  Fixture f;
  auto alice = f.log_in("alice");
  auto bob = f.log_in("bob");
  // The server stops answering (as if frozen), and alice's connection drops meanwhile.
  std::promise<void> thaw;
  auto frozen = std::async(std::launch::async,
                           [&] { f.server.on_server([&](server::Server&) { thaw.get_future().wait(); }); });
  std::optional<bool> done;
  const peer::Command message = peer::cmd::Message{{"bob"}, "are you there?"};
  asio::co_spawn(f.io, alice->engine->execute(message), [&](std::exception_ptr, bool ok) { done = ok; });
  REQUIRE(f.run_until([&] { return alice->has<ev::Sent>(); }));
  CHECK(alice->all<ev::Sent>().front().pending);
  alice->engine->hang_up();
  REQUIRE(f.run_until([&] { return done.has_value(); }));
  CHECK(*done);  // not failed: it waits in the outbox
  auto unanswered = alice->all<ev::Sent>().back();
  CHECK(unanswered.queued);
  CHECK(unanswered.resent);
  thaw.set_value();
  frozen.get();

  REQUIRE(f.run_until([&] { return alice->has<ev::Server>([](const ev::Server& s) { return s.up; }); }, 30s));
  REQUIRE(f.run_until([&] { return alice->all<ev::Sent>().size() == 3; }));
  auto resent = alice->all<ev::Sent>().back();
  CHECK(resent.resent);
  CHECK(resent.id == unanswered.id);
  REQUIRE(resent.results.size() == 1);
  REQUIRE(f.run_until([&] { return bob->has<ev::Chat>(); }));
  CHECK(f.execute(*bob, "ping"));  // anything still on its way to bob has arrived
  CHECK(bob->all<ev::Chat>().size() == 1);
  CHECK(history(f, *alice, "bob").back().state == "delivered");
}

TEST_CASE("engine receipts: a restarted peer sends what the server had not answered, once") {
  Fixture f;
  const auto port = f.server.port();  // the same server address: the same account's outbox
  std::string id;
  {
    auto alice = f.log_in("alice");
    f.server.stop();
    REQUIRE(f.run_until([&] { return alice->has<ev::Server>(); }));
    CHECK(f.execute(*alice, "message bob later"));
    auto queued = alice->all<ev::Sent>().back();
    CHECK(queued.queued);
    id = queued.id;
    alice->engine->finish(0);
    f.drain();
  }
  TestServer restarted(f.server, [port](server::ServerConfig& c) { c.port = port; });
  auto alice = f.log_in("alice", restarted.port());
  REQUIRE(f.run_until([&] { return alice->has<ev::Sent>(); }));
  auto sent = alice->all<ev::Sent>().front();
  CHECK(sent.id == id);
  CHECK(sent.resent);
  REQUIRE(sent.receipts.size() == 1);
  CHECK(sent.receipts[0].state == "stored");
  // Answered: not in the outbox any more, so a second restart sends nothing.
  CHECK(f.execute(*alice, "logout"));  // waits until the server let the session go
  alice.reset();
  auto again = f.log_in("alice", restarted.port());
  CHECK(f.execute(*again, "ping"));
  CHECK_FALSE(again->has<ev::Sent>());
}
