// Protocol 6's delivery path (issue 14) against a real server on 127.0.0.1: a message
// acknowledged within the grace is never written, one that is not is stored and its
// sender gets a Receipt later, a frozen recipient gets it again at its next login, a
// resend makes no second copy, and a restart keeps the rows and the seq counter. The
// test clients acknowledge only when told to.
#include <doctest/doctest.h>

#include "shared/util/hex.hpp"
#include "shared/wire/limits.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/raw_client.hpp"

using namespace parley;
using namespace parley::test;
using wire::Status;

namespace {

wire::SendResult send(TestClient& c, std::vector<std::string> to, const std::string& text,
                      const std::string& id = random_id()) {
  auto reply = c.call(wire::SendMessage{0, id, std::move(to), text});
  REQUIRE(reply);
  REQUIRE(std::holds_alternative<wire::SendResult>(*reply));
  return std::get<wire::SendResult>(*reply);
}

std::function<bool(const wire::ChatEvent&)> chat_with(const std::string& text) {
  return [=](const wire::ChatEvent& c) { return c.text == text; };
}

std::function<bool(const wire::Receipt&)> receipt_for(const std::string& id, const std::string& user) {
  return [=](const wire::Receipt& r) { return r.msg_id == id && r.user == user; };
}

bool is_chat(const wire::Message& m) { return std::holds_alternative<wire::ChatEvent>(m); }

// A round trip: everything `c` queued before has been handled by the server.
void settle(TestClient& c) { REQUIRE(c.call(wire::Ping{})); }

// A sender that does not wait for its answers (TestClient drops a reply nobody called
// for): raw frames, read back in order.
class RawUser {
 public:
  RawUser(std::uint16_t port, const std::string& user) : client_(port) {
    REQUIRE(client_.handshake());
    client_.write(wire::Hello{wire::kProtocolVersion, "test"});
    client_.write(wire::Login{1, user, user + "123", {}});
    auto login = next<wire::LoginResult>();
    REQUIRE(login);
    REQUIRE(login->status == Status::ok);
  }
  void send(std::uint32_t request, const std::string& id, std::vector<std::string> to,
            const std::string& text) {
    client_.write(wire::SendMessage{request, id, std::move(to), text});
  }
  template <class T>
  std::optional<T> next(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = client_.read(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!m) return std::nullopt;
      if (auto* t = std::get_if<T>(&*m)) return *t;
    }
    return std::nullopt;
  }

 private:
  RawTlsClient client_;
};

std::size_t stored_on(TestServer& server) {
  std::size_t stored = 0;
  server.on_server([&](server::Server& s) { stored = s.registry().mailbox().stored(); });
  return stored;
}

}  // namespace

TEST_CASE("delivery: acknowledged within the grace, the sender hears ok and nothing is stored") {
  TestServer server([](auto& c) { c.ack_grace = std::chrono::seconds(5); });
  TestClient bob(server.port());
  bob.sign_in("bob");
  RawUser alice(server.port(), "alice");
  const std::string id = random_id();
  alice.send(41, id, {"bob"}, "hello");
  auto got = bob.wait<wire::ChatEvent>(chat_with("hello"));
  REQUIRE(got);
  CHECK(got->seq > 0);
  CHECK_FALSE(got->offline);
  CHECK(got->msg_id == id);
  bob.send(wire::AckOffline{{got->seq}});
  settle(bob);
  auto result = alice.next<wire::SendResult>(2s);
  REQUIRE(result);  // long before the 5 s grace
  CHECK(result->request == 41);
  CHECK(result->recipients.at(0).status == Status::ok);
  CHECK(stored_on(server) == 0);
  bob.disconnect();
  TestClient again(server.port());
  again.sign_in("bob");
  alice.send(42, random_id(), {"bob"}, "marker");
  REQUIRE(again.wait<wire::ChatEvent>(chat_with("marker")));
  CHECK(again.none_pending(is_chat));
}

TEST_CASE("delivery: not acknowledged within the grace, stored; the acknowledgement brings a receipt") {
  TestServer server([](auto& c) { c.ack_grace = std::chrono::milliseconds(50); });
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  const std::string id = random_id();
  CHECK(send(alice, {"bob"}, "late", id).recipients.at(0).status == Status::stored_offline);
  CHECK(stored_on(server) == 1);
  auto got = bob.wait<wire::ChatEvent>(chat_with("late"));
  REQUIRE(got);
  CHECK_FALSE(got->offline);
  bob.send(wire::AckOffline{{got->seq}});
  settle(bob);
  CHECK(alice.wait<wire::Receipt>(receipt_for(id, "bob")));
  CHECK(stored_on(server) == 0);
  // Someone else's seq is not theirs to acknowledge.
  CHECK(send(alice, {"carol"}, "for carol").recipients.at(0).status == Status::stored_offline);
  bob.send(wire::AckOffline{{got->seq + 1, got->seq + 2}});
  settle(bob);
  CHECK(stored_on(server) == 1);
}

TEST_CASE(
    "delivery: a frozen recipient's messages are stored after the grace and come back at its next login") {
  TestServer server([](auto& c) { c.ack_grace = std::chrono::milliseconds(100); });
  TestClient alice(server.port());
  alice.sign_in("alice");
  std::vector<std::string> ids;
  {
    // Logged in, connection open, never reads and never acknowledges.
    RawTlsClient frozen(server.port());
    REQUIRE(frozen.handshake());
    frozen.write(wire::Hello{wire::kProtocolVersion, "frozen"});
    frozen.write(wire::Login{1, "bob", "bob123", {}});
    REQUIRE(alice.wait<wire::PresenceEvent>([](auto& p) { return p.user == "bob" && p.online; }));
    for (int i = 0; i < 20; ++i) {
      ids.push_back(random_id());
      CHECK(send(alice, {"bob"}, "frozen " + std::to_string(i), ids.back()).recipients.at(0).status ==
            Status::stored_offline);
    }
  }  // killed
  REQUIRE(alice.wait<wire::PresenceEvent>([](auto& p) { return p.user == "bob" && !p.online; }));
  TestClient bob(server.port());
  bob.sign_in("bob");
  for (int i = 0; i < 20; ++i) {
    auto got = bob.wait<wire::ChatEvent>();
    REQUIRE(got);
    CHECK(got->offline);
    CHECK(got->msg_id == ids[static_cast<std::size_t>(i)]);  // in order
    bob.send(wire::AckOffline{{got->seq}});
  }
  settle(bob);
  CHECK(bob.none_pending(is_chat));
  for (const auto& id : ids) CHECK(alice.wait<wire::Receipt>(receipt_for(id, "bob")));
  CHECK(stored_on(server) == 0);
}

TEST_CASE("delivery: a resend of one id makes one copy, in the grace, stored, or after a restart") {
  TestServer server([](auto& c) { c.ack_grace = std::chrono::seconds(5); });
  const std::string online_id = random_id(), offline_id = random_id();
  {
    TestClient bob(server.port());
    bob.sign_in("bob");
    RawUser alice(server.port(), "alice");
    // Sent twice before bob's peer acknowledged: one copy, both answered ok.
    alice.send(1, online_id, {"bob"}, "once");
    alice.send(2, online_id, {"bob"}, "once");
    auto got = bob.wait<wire::ChatEvent>(chat_with("once"));
    REQUIRE(got);
    bob.send(wire::AckOffline{{got->seq}});
    settle(bob);
    for (std::uint32_t request : {1u, 2u}) {
      auto r = alice.next<wire::SendResult>(2s);
      REQUIRE(r);
      CHECK(r->request == request);
      CHECK(r->recipients.at(0).status == Status::ok);
    }
    CHECK(bob.none_pending(is_chat));
    // And again after the acknowledgement: ok at once, nothing sent.
    alice.send(3, online_id, {"bob"}, "once");
    auto again = alice.next<wire::SendResult>(2s);
    REQUIRE(again);
    CHECK(again->recipients.at(0).status == Status::ok);
    CHECK(bob.none_pending(is_chat));
  }
  {
    TestClient alice(server.port());
    alice.sign_in("alice");
    CHECK(send(alice, {"carol"}, "stored once", offline_id).recipients.at(0).status ==
          Status::stored_offline);
    CHECK(send(alice, {"carol"}, "stored once", offline_id).recipients.at(0).status ==
          Status::stored_offline);
  }
  TestServer restarted(server);
  TestClient alice(restarted.port());
  alice.sign_in("alice");
  CHECK(send(alice, {"carol"}, "stored once", offline_id).recipients.at(0).status == Status::stored_offline);
  TestClient carol(restarted.port());
  carol.sign_in("carol");
  auto got = carol.wait<wire::ChatEvent>(chat_with("stored once"));
  REQUIRE(got);
  CHECK(got->offline);
  CHECK(carol.none_pending(is_chat));
}

TEST_CASE("delivery: a restart keeps the stored rows and never hands out a seq again") {
  TestServer server([](auto& c) { c.ack_grace = std::chrono::seconds(5); });
  std::int64_t acked_seq = 0;
  {
    TestClient bob(server.port());
    bob.sign_in("bob");
    RawUser alice(server.port(), "alice");
    alice.send(1, random_id(), {"bob"}, "never written");
    auto got = bob.wait<wire::ChatEvent>(chat_with("never written"));
    REQUIRE(got);
    acked_seq = got->seq;
    bob.send(wire::AckOffline{{got->seq}});
    settle(bob);
    REQUIRE(alice.next<wire::SendResult>(2s));
  }
  // Nothing was written for that seq; it is not handed out again all the same.
  TestServer restarted(server);
  std::int64_t kept_seq = 0;
  {
    TestClient bob(restarted.port());
    bob.sign_in("bob");
    RawUser alice(restarted.port(), "alice");
    alice.send(1, random_id(), {"bob"}, "after the restart");
    auto fresh = bob.wait<wire::ChatEvent>(chat_with("after the restart"));
    REQUIRE(fresh);
    CHECK(fresh->seq > acked_seq);
    bob.send(wire::AckOffline{{fresh->seq}});
    settle(bob);
    alice.send(2, random_id(), {"carol"}, "kept");
    auto kept = alice.next<wire::SendResult>(2s);
    if (kept && kept->request == 1) kept = alice.next<wire::SendResult>(2s);
    REQUIRE(kept);
    CHECK(kept->recipients.at(0).status == Status::stored_offline);
    kept_seq = fresh->seq + 1;
  }
  TestServer again(restarted);
  TestClient carol(again.port());
  carol.sign_in("carol");
  auto kept = carol.wait<wire::ChatEvent>(chat_with("kept"));
  REQUIRE(kept);
  CHECK(kept->offline);
  CHECK(kept->seq == kept_seq);
  carol.send(wire::AckOffline{{kept->seq}});
  settle(carol);
  CHECK(stored_on(again) == 0);
}
