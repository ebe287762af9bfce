// A real server on 127.0.0.1 with real clients: every command and every error.
#include <doctest/doctest.h>

#include <asio/write.hpp>
#include <cstdlib>
#include <future>
#include <thread>

#include "server/auth/password.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/replies.hpp"
#include "tests/support/raw_client.hpp"

using namespace parley;
using namespace parley::test;
using wire::Status;

TEST_CASE("login: wrong password can be retried; 3 failures lock the account on every connection") {
  TestServer server([](auto& c) { c.block_duration = std::chrono::seconds(2); });
  TestClient a(server.port());
  REQUIRE(a.connect(server.fingerprint()) == "");
  CHECK(a.login("zed", "x").status == Status::unknown_user);
  auto first = a.login("alice", "bad");
  CHECK(first.status == Status::wrong_password);
  CHECK(first.attempts_left == 2);
  CHECK(a.login("alice", "bad").attempts_left == 1);
  auto locked = a.login("alice", "bad");
  CHECK(locked.status == Status::locked);
  CHECK(locked.retry_after_s == 2);
  CHECK(locked.message.find("2 s") != std::string::npos);
  CHECK(a.wait_closed());  // a locked login ends the connection

  TestClient b(server.port());
  REQUIRE(b.connect() == "");
  auto still = b.login("alice", "alice123");
  CHECK(still.status == Status::locked);
  CHECK(still.retry_after_s >= 1);
  CHECK(still.retry_after_s <= 2);

  // After the lock expires, the right password works.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  wire::LoginResult result;
  do {
    TestClient c(server.port());
    REQUIRE(c.connect() == "");
    result = c.login("alice", "alice123");
    if (result.status == Status::ok) break;
    REQUIRE(result.status == Status::locked);
    // The server says how long to wait: wait exactly that, on the clock.
    std::this_thread::sleep_for(std::chrono::seconds(result.retry_after_s));
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK(result.status == Status::ok);
}

TEST_CASE("a lockout survives a server restart") {
  TestServer server([](auto& c) { c.block_duration = std::chrono::seconds(3600); });
  {
    TestClient a(server.port());
    REQUIRE(a.connect() == "");
    for (int i = 0; i < 2; ++i) REQUIRE(a.login("bob", "bad").status == Status::wrong_password);
    REQUIRE(a.login("bob", "bad").status == Status::locked);
  }
  TestServer restarted(server);
  TestClient b(restarted.port());
  REQUIRE(b.connect() == "");
  auto result = b.login("bob", "bob123");
  CHECK(result.status == Status::locked);
  CHECK(result.retry_after_s > 3500);
  CHECK(result.retry_after_s <= 3600);
}

TEST_CASE("a user cannot log in twice; a session cannot log in again") {
  TestServer server;
  TestClient a(server.port());
  a.sign_in("alice");
  TestClient b(server.port());
  REQUIRE(b.connect() == "");
  auto second = b.login("alice", "alice123");
  CHECK(second.status == Status::already_logged_in);
  CHECK(second.message.find("already logged in") != std::string::npos);
  CHECK(a.login("alice", "alice123").status == Status::already_online);
}

TEST_CASE("presence: login and logout reach everyone online except users the subject blocked") {
  TestServer server;
  TestClient bob(server.port()), carol(server.port());
  bob.sign_in("bob");
  carol.sign_in("carol");
  {
    TestClient alice(server.port());
    alice.sign_in("alice");
    CHECK(bob.wait<wire::PresenceEvent>(presence_of("alice", true)));
    CHECK(carol.wait<wire::PresenceEvent>(presence_of("alice", true)));
    CHECK(reply_as<wire::Result>(alice.call(wire::Block{0, "carol"})).status == Status::ok);
    alice.send(wire::Logout{});
    auto bye = alice.wait<wire::LoggedOut>();
    REQUIRE(bye);
    CHECK(bye->reason == "logged out");
    CHECK(alice.wait_closed());
  }
  CHECK(bob.wait<wire::PresenceEvent>(presence_of("alice", false)));
  TestClient alice(server.port());
  alice.sign_in("alice");
  CHECK(bob.wait<wire::PresenceEvent>(presence_of("alice", true)));
  // A marker sent after both presence changes: once carol has it, she would have had them.
  REQUIRE(message(alice, {"carol"}, "marker").recipients[0].status == Status::stored_offline);
  REQUIRE(carol.wait<wire::ChatEvent>(chat_with("marker")));
  CHECK(carol.none_pending([](const wire::Message& m) {
    auto* p = std::get_if<wire::PresenceEvent>(&m);
    return p && p->user == "alice";
  }));
}

TEST_CASE("private message: delivered at once, with sender, time and id") {
  TestServer server;
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  auto before = std::chrono::system_clock::now();
  auto result = message(alice, {"bob"}, "hello  bob");
  REQUIRE(result.recipients.size() == 1);
  // bob's test client does not acknowledge while alice waits: stored after the grace.
  CHECK(result.recipients[0].status == Status::stored_offline);
  auto got = bob.wait<wire::ChatEvent>();
  REQUIRE(got);
  CHECK(got->from == "alice");
  CHECK(got->text == "hello  bob");
  CHECK(got->to.empty());
  CHECK(got->seq > 0);
  CHECK_FALSE(got->offline);
  CHECK(got->msg_id.size() == 32);
  auto sent = std::chrono::system_clock::time_point(std::chrono::milliseconds(got->sent_ms));
  CHECK(sent >= std::chrono::time_point_cast<std::chrono::milliseconds>(before));
}

TEST_CASE("message errors: unknown user, yourself, empty text, blocked by the recipient") {
  TestServer server;
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  CHECK(message(alice, {"zed"}, "x").recipients[0].status == Status::unknown_user);
  CHECK(message(alice, {"alice"}, "x").recipients[0].status == Status::yourself);
  auto empty = reply_as<wire::Result>(alice.call(wire::SendMessage{0, random_id(), {"bob"}, "   "}));
  CHECK(empty.status == Status::empty_text);
  REQUIRE(reply_as<wire::Result>(bob.call(wire::Block{0, "alice"})).status == Status::ok);
  CHECK(message(alice, {"bob"}, "can you hear me").recipients[0].status == Status::blocked);
  REQUIRE(reply_as<wire::Result>(bob.call(wire::Unblock{0, "alice"})).status == Status::ok);
  CHECK(message(alice, {"bob"}, "after unblock").recipients[0].status == Status::stored_offline);
  REQUIRE(bob.wait<wire::ChatEvent>(chat_with("after unblock")));
  CHECK(bob.none_pending([](const wire::Message& m) { return std::holds_alternative<wire::ChatEvent>(m); }));
}

TEST_CASE("group message: everyone sees who else it went to; errors per recipient") {
  TestServer server;
  TestClient alice(server.port()), bob(server.port()), carol(server.port()), dave(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  carol.sign_in("carol");
  dave.sign_in("dave");
  REQUIRE(reply_as<wire::Result>(dave.call(wire::Block{0, "alice"})).status == Status::ok);
  auto result = message(alice, {"bob", "carol", "dave", "zed", "eve"}, "team meeting");
  REQUIRE(result.recipients.size() == 5);
  CHECK(result.recipients[0].status == Status::stored_offline);  // not acknowledged within the grace
  CHECK(result.recipients[1].status == Status::stored_offline);
  CHECK(result.recipients[2].status == Status::blocked);
  CHECK(result.recipients[3].status == Status::unknown_user);
  CHECK(result.recipients[4].status == Status::stored_offline);
  const std::vector<std::string> group{"bob", "carol", "eve"};
  for (TestClient* c : {&bob, &carol}) {
    auto got = c->wait<wire::ChatEvent>(chat_with("team meeting"));
    REQUIRE(got);
    CHECK(got->to == group);
  }
  TestClient eve(server.port());
  eve.sign_in("eve");
  auto later = eve.wait<wire::ChatEvent>(chat_with("team meeting"));
  REQUIRE(later);
  CHECK(later->to == group);
  CHECK(later->seq != 0);
}

TEST_CASE("offline messages: stored durably, delivered once at next login with original time and sender") {
  TestServer server;
  std::int64_t sent_ms = 0;
  {
    TestClient alice(server.port());
    alice.sign_in("alice");
    auto result = message(alice, {"bob"}, "while you were out");
    CHECK(result.recipients[0].status == Status::stored_offline);
    message(alice, {"bob"}, "second");
  }
  // Restart the server: what it acknowledged must still be there.
  TestServer restarted(server);
  {
    TestClient bob(restarted.port());
    bob.sign_in("bob");
    auto first = bob.wait<wire::ChatEvent>();
    auto second = bob.wait<wire::ChatEvent>();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->text == "while you were out");  // oldest first
    CHECK(second->text == "second");
    CHECK(first->from == "alice");
    CHECK(first->seq != 0);
    sent_ms = first->sent_ms;
    CHECK(sent_ms > 0);
    CHECK(sent_ms <= second->sent_ms);
    bob.send(wire::AckOffline{{first->seq, second->seq}});
    REQUIRE(
        reply_as<wire::UserList>(bob.call(wire::WhoElse{})).users.empty());  // the ack was processed before
  }
  // Acknowledged: not delivered again. Oldest first, so a message stored after the
  // acknowledgement must be the first one at the next login.
  TestClient alice(restarted.port());
  alice.sign_in("alice");
  REQUIRE(message(alice, {"bob"}, "marker").recipients[0].status == Status::stored_offline);
  TestClient bob(restarted.port());
  bob.sign_in("bob");
  auto next = bob.wait<wire::ChatEvent>();
  REQUIRE(next);
  CHECK(next->text == "marker");
}

TEST_CASE("offline messages that were not acknowledged are delivered again") {
  TestServer server;
  {
    TestClient alice(server.port());
    alice.sign_in("alice");
    message(alice, {"bob"}, "important");
  }
  {
    TestClient bob(server.port());
    bob.sign_in("bob");
    REQUIRE(bob.wait<wire::ChatEvent>(chat_with("important")));
    // The connection dies before the peer acknowledged.
  }
  TestClient bob(server.port());
  bob.sign_in("bob");
  CHECK(bob.wait<wire::ChatEvent>(chat_with("important")));
}

TEST_CASE("broadcast reaches everyone online but the sender and those who blocked the sender") {
  TestServer server;
  TestClient alice(server.port()), bob(server.port()), carol(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  carol.sign_in("carol");
  auto result = reply_as<wire::BroadcastResult>(alice.call(wire::Broadcast{0, random_id(), "hi all"}));
  CHECK(result.delivered == 2);
  CHECK_FALSE(result.some_skipped);
  CHECK(bob.wait<wire::BroadcastEvent>([](auto& b) { return b.text == "hi all" && b.from == "alice"; }));
  CHECK(carol.wait<wire::BroadcastEvent>([](auto& b) { return b.text == "hi all"; }));

  REQUIRE(reply_as<wire::Result>(carol.call(wire::Block{0, "alice"})).status == Status::ok);
  result = reply_as<wire::BroadcastResult>(alice.call(wire::Broadcast{0, random_id(), "second"}));
  CHECK(result.delivered == 1);
  CHECK(result.some_skipped);
  CHECK(bob.wait<wire::BroadcastEvent>([](auto& b) { return b.text == "second"; }));
  REQUIRE(message(bob, {"carol"}, "marker").recipients[0].status == Status::stored_offline);
  REQUIRE(carol.wait<wire::ChatEvent>(chat_with("marker")));
  CHECK(carol.none_pending(
      [](const wire::Message& m) { return std::holds_alternative<wire::BroadcastEvent>(m); }));
  CHECK(reply_as<wire::Result>(alice.call(wire::Broadcast{0, random_id(), " "})).status ==
        Status::empty_text);
}

TEST_CASE("whoelse and whoelsesince") {
  TestServer server;
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  {
    TestClient carol(server.port());
    carol.sign_in("carol");
  }
  REQUIRE(alice.wait<wire::PresenceEvent>(presence_of("carol", false)));
  CHECK(reply_as<wire::UserList>(alice.call(wire::WhoElse{})).users == std::vector<std::string>{"bob"});
  auto since = reply_as<wire::UserList>(alice.call(wire::WhoElseSince{0, 3600}));
  CHECK(since.users == std::vector<std::string>{"bob", "carol"});
  REQUIRE(since.last_seen_ms.size() == 2);
  CHECK(since.last_seen_ms[0] == 0);  // bob is online now
  CHECK(std::abs(since.last_seen_ms[1] - now_ms()) < 60'000);
  {
    TestClient carol(server.port());
    carol.sign_in("carol");
    REQUIRE(reply_as<wire::Result>(carol.call(wire::Block{0, "alice"})).status == Status::ok);
  }
  CHECK(reply_as<wire::UserList>(alice.call(wire::WhoElseSince{0, 3600})).users ==
        std::vector<std::string>{"bob"});
  REQUIRE(reply_as<wire::Result>(bob.call(wire::Block{0, "alice"})).status == Status::ok);
  CHECK(reply_as<wire::UserList>(alice.call(wire::WhoElse{})).users.empty());
  CHECK(reply_as<wire::UserList>(bob.call(wire::WhoElse{})).users == std::vector<std::string>{"alice"});
}

TEST_CASE("block and unblock: errors, and blocks survive a restart") {
  TestServer server;
  {
    TestClient alice(server.port());
    alice.sign_in("alice");
    CHECK(reply_as<wire::Result>(alice.call(wire::Block{0, "alice"})).status == Status::yourself);
    CHECK(reply_as<wire::Result>(alice.call(wire::Block{0, "zed"})).status == Status::unknown_user);
    CHECK(reply_as<wire::Result>(alice.call(wire::Unblock{0, "bob"})).status == Status::not_blocked);
    CHECK(reply_as<wire::Result>(alice.call(wire::Unblock{0, "alice"})).status == Status::yourself);
    CHECK(reply_as<wire::Result>(alice.call(wire::Unblock{0, "zed"})).status == Status::unknown_user);
    CHECK(reply_as<wire::Result>(alice.call(wire::Block{0, "bob"})).status == Status::ok);
    CHECK(reply_as<wire::Result>(alice.call(wire::Block{0, "bob"})).status == Status::already_blocked);
  }
  TestServer restarted(server);
  TestClient alice(restarted.port()), bob(restarted.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  CHECK(message(bob, {"alice"}, "still blocked?").recipients[0].status == Status::blocked);
  CHECK(reply_as<wire::Result>(alice.call(wire::Unblock{0, "bob"})).status == Status::ok);
  CHECK(message(bob, {"alice"}, "now?").recipients[0].status == Status::stored_offline);
}

TEST_CASE("inactivity: a user who sends no command is logged out, told why, and others see it") {
  TestServer server([](auto& c) { c.timeout = std::chrono::seconds(1); });
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  // bob keeps sending commands; alice stays silent.
  std::optional<wire::LoggedOut> bye;
  for (int i = 0; i < 40 && !bye; ++i) {
    bye = alice.wait<wire::LoggedOut>({}, 100ms);
    bob.call(wire::WhoElse{});
  }
  REQUIRE(bye);
  CHECK(bye->reason.find("inactivity") != std::string::npos);
  CHECK(alice.wait_closed());
  CHECK(bob.wait<wire::PresenceEvent>(presence_of("alice", false)));
  CHECK_FALSE(bob.closed());
}

TEST_CASE("idle warning: about 2 s before a 4 s idle logout, once per idle period; a command re-arms it") {
  TestServer server([](auto& c) { c.timeout = std::chrono::seconds(4); });
  TestClient alice(server.port());
  alice.sign_in("alice");
  auto idle_since = std::chrono::steady_clock::now();
  auto warning = alice.wait<wire::IdleWarning>({}, 10s);
  REQUIRE(warning);
  CHECK(warning->seconds_left == 2);
  auto warned_after = std::chrono::steady_clock::now() - idle_since;
  CHECK(warned_after >= 1900ms);
  CHECK(warned_after < 3s);

  // A ping is how a peer says "still here": the logout is put off and the warning re-armed.
  REQUIRE(std::holds_alternative<wire::Pong>(*alice.call(wire::Ping{})));
  idle_since = std::chrono::steady_clock::now();
  auto again = alice.wait<wire::IdleWarning>({}, 10s);
  REQUIRE(again);
  CHECK(again->seconds_left == 2);
  auto warned_at = std::chrono::steady_clock::now();
  CHECK(warned_at - idle_since >= 1800ms);

  // The next thing to arrive is the logout, not a second warning for the same period.
  auto next = alice.wait_event([](const wire::Message&) { return true; }, 10s);
  REQUIRE(next);
  REQUIRE(std::holds_alternative<wire::LoggedOut>(*next));
  CHECK(std::get<wire::LoggedOut>(*next).reason.find("inactivity") != std::string::npos);
  auto lead = std::chrono::steady_clock::now() - warned_at;
  CHECK(lead >= 1500ms);
  CHECK(lead < 2700ms);
  CHECK(alice.wait_closed());
}

TEST_CASE("a peer that vanishes without closing is detected by missing heartbeats") {
  TestServer server([](auto& c) {
    c.dead_peer_timeout = std::chrono::seconds(2);
    c.presence_grace = std::chrono::milliseconds(0);  // the detection alone, not the grace after it
  });
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  // bob keeps its heartbeat; alice (this test client sends none) goes silent.
  auto start = std::chrono::steady_clock::now();
  std::optional<wire::PresenceEvent> gone;
  while (!gone && std::chrono::steady_clock::now() - start < 10s) {
    bob.send(wire::Heartbeat{});
    gone = bob.wait<wire::PresenceEvent>(presence_of("alice", false), 300ms);
  }
  REQUIRE(gone);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("garbage, oversized frames and protocol violations close only that connection") {
  TestServer server;
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");

  SUBCASE("an oversized length") {
    RawTlsClient raw(server.port());
    REQUIRE(raw.handshake());
    raw.write(std::vector<std::uint8_t>{0x7f, 0xff, 0xff, 0xff, 1, 2, 3});
    CHECK(raw.wait_closed());
  }
  SUBCASE("a frame that does not decode") {
    RawTlsClient raw(server.port());
    REQUIRE(raw.handshake());
    raw.write(std::vector<std::uint8_t>{0, 0, 0, 5, 1, 0xee, 0xee, 0xee, 0xee});
    auto error = raw.read();
    REQUIRE(error);
    CHECK(std::holds_alternative<wire::ProtocolError>(*error));
    CHECK(raw.wait_closed());
  }
  SUBCASE("a size prefix claiming gigabytes") {
    RawTlsClient raw(server.port());
    REQUIRE(raw.handshake());
    std::vector<std::uint8_t> bytes{0, 0, 0, 17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0};
    bytes[5] = 0;  // Hello, whose first string claims 2^38 bytes
    raw.write(bytes);
    CHECK(raw.wait_closed());
  }
  SUBCASE("the wrong protocol version gets a clear error") {
    RawTlsClient raw(server.port());
    REQUIRE(raw.handshake());
    raw.write(wire::Hello{wire::kProtocolVersion + 1, "future"});
    auto error = raw.read();
    REQUIRE(error);
    auto& e = std::get<wire::ProtocolError>(*error);
    CHECK(e.status == Status::version_mismatch);
    CHECK(e.message.find("version") != std::string::npos);
    CHECK(raw.wait_closed());
  }
  SUBCASE("a command before login") {
    RawTlsClient raw(server.port());
    REQUIRE(raw.handshake());
    raw.write(wire::Hello{wire::kProtocolVersion, "raw"});
    REQUIRE(raw.read());  // Welcome
    raw.write(wire::SendMessage{1, "x", {"bob"}, "sneaky"});
    auto error = raw.read();
    REQUIRE(error);
    CHECK(std::get<wire::ProtocolError>(*error).status == Status::not_logged_in);
    CHECK(raw.wait_closed());
  }
  SUBCASE("TLS garbage instead of a handshake") {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(socket, asio::buffer(std::string("GET / HTTP/1.0\r\n\r\n")));
    std::array<char, 64> buf{};
    std::error_code ec;
    socket.read_some(asio::buffer(buf), ec);  // the server closes on us
    CHECK(ec);
  }
  // Everyone else carries on.
  CHECK(message(alice, {"bob"}, "still here").recipients[0].status == Status::stored_offline);
  CHECK(bob.wait<wire::ChatEvent>(chat_with("still here")));
  CHECK_FALSE(alice.closed());
}

TEST_CASE("a peer that stops reading is cut off; the others are not slowed") {
  // Private messages, which are never dropped (live-only broadcasts would be, for a
  // lagging reader), no rate limit in the way, and no ack grace: each is stored at once.
  TestServer server([](auto& c) {
    c.fair_use.rate_limits = false;
    c.ack_grace = std::chrono::milliseconds(0);
    c.presence_grace = std::chrono::milliseconds(0);  // her cut-off is told at once
  });
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  // bob takes no part in the flood (he blocked alice) but watches presence.
  REQUIRE(reply_as<wire::Result>(bob.call(wire::Block{0, "alice"})).status == Status::ok);
  RawTlsClient lazy(server.port());
  lazy.shrink_receive_buffer();
  REQUIRE(lazy.handshake());
  lazy.write(wire::Hello{wire::kProtocolVersion, "lazy"});
  lazy.write(wire::Login{1, "carol", "carol123", {}});
  REQUIRE(bob.wait<wire::PresenceEvent>(presence_of("carol", true)));
  // carol never reads again. Message her until the server gives up on her: each round
  // trip of alice's stays fast meanwhile, because nothing waits on carol.
  const std::string big(wire::kMaxText, 'x');
  std::optional<wire::PresenceEvent> cut;
  int sent = 0;
  auto slowest = std::chrono::steady_clock::duration::zero();
  while (!cut && sent < 5000) {
    auto start = std::chrono::steady_clock::now();
    auto r = message(alice, {"carol"}, big);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
    ++sent;
    // Durable whatever carol does, until the box of an offline carol is full.
    const Status status = r.recipients[0].status;
    REQUIRE((status == Status::stored_offline || status == Status::rate_limited));
    if (status == Status::rate_limited) break;
    cut = bob.wait<wire::PresenceEvent>(presence_of("carol", false), 1ms);
  }
  if (!cut) cut = bob.wait<wire::PresenceEvent>(presence_of("carol", false));
  REQUIRE(cut);
  MESSAGE("carol was cut off after " << sent << " messages of " << big.size() << " bytes");
  CHECK(slowest < 1s);
  CHECK(sent * big.size() > 1024 * 1024);  // at least the outbox limit went unread
  CHECK(reply_as<wire::Result>(bob.call(wire::Unblock{0, "alice"})).status == Status::ok);
  CHECK(message(alice, {"bob"}, "fast as ever").recipients[0].status == Status::stored_offline);
}

TEST_CASE("a client refuses a server whose fingerprint is not the expected one") {
  TestServer server;
  TestClient client(server.port());
  auto wrong = std::string(64, '0');
  CHECK(client.connect(wrong) == "fingerprint mismatch");
  TestClient right(server.port());
  CHECK(right.connect(server.fingerprint()) == "");
}

TEST_CASE("accounts with hashed passwords log in; the hash is checked, not compared as text") {
  TempDir dir;
  const std::string hash = server::hash_password("s3cret", server::HashAlgorithm::pbkdf2_sha256);
  write_text(dir / "hashed.txt", "alice " + hash + "\nbob bob123\n");
  TestServer server([&](auto& c) { c.credentials = dir / "hashed.txt"; });
  TestClient a(server.port());
  REQUIRE(a.connect() == "");
  CHECK(a.login("alice", hash).status == Status::wrong_password);
  CHECK(a.login("alice", "s3cret").status == Status::ok);
}

TEST_CASE("heartbeats keep a connection alive but do not count as activity") {
  TestServer server([](auto& c) { c.timeout = std::chrono::seconds(1); });
  TestClient alice(server.port());
  alice.sign_in("alice");
  std::optional<wire::LoggedOut> bye;
  auto start = std::chrono::steady_clock::now();
  while (!bye && std::chrono::steady_clock::now() - start < 10s) {
    alice.send(wire::Heartbeat{});
    bye = alice.wait<wire::LoggedOut>({}, 200ms);
  }
  REQUIRE(bye);
  CHECK(bye->reason.find("inactivity") != std::string::npos);
}

TEST_CASE("many large offline messages are all delivered, in batches that fit the outbox") {
  TestServer server([](auto& c) { c.fair_use.rate_limits = false; });  // 300 as fast as they are stored
  const int count = 300;  // more than one batch by count, and ~1.2 MB: more than the outbox by size
  {
    TestClient alice(server.port());
    alice.sign_in("alice");
    for (int i = 0; i < count; ++i) {
      std::string text = std::to_string(i) + ":" + std::string(wire::kMaxText - 8, 'x');
      REQUIRE(message(alice, {"bob"}, text).recipients[0].status == Status::stored_offline);
    }
  }
  TestClient bob(server.port());
  bob.sign_in("bob");
  for (int i = 0; i < count; ++i) {
    auto got = bob.wait<wire::ChatEvent>();
    REQUIRE_MESSAGE(got, "message " << i << " missing");
    CHECK(got->text.starts_with(std::to_string(i) + ":"));  // in order
    bob.send(wire::AckOffline{{got->seq}});
  }
  CHECK_FALSE(bob.closed());
  bob.call(wire::WhoElse{});  // a round trip: every acknowledgement reached the server
  bob.disconnect();
  // All acknowledged: at the next login the first message is one stored after that.
  TestClient alice(server.port());
  alice.sign_in("alice");
  REQUIRE(message(alice, {"bob"}, "marker").recipients[0].status == Status::stored_offline);
  TestClient again(server.port());
  again.sign_in("bob");
  auto first = again.wait<wire::ChatEvent>();
  REQUIRE(first);
  CHECK(first->text == "marker");
}

TEST_CASE("a session whose goodbye cannot be flushed is closed after the flush deadline") {
  TestServer server([](auto& c) {
    c.flush_timeout = std::chrono::seconds(1);
    c.write_stall_timeout = std::chrono::seconds(29);  // only the flush deadline may act
    c.max_outbox_bytes = 64 * 1024 * 1024;             // and not the outbox limit either
    c.fair_use.rate_limits = false;
  });
  TestClient alice(server.port());
  alice.sign_in("alice");
  RawTlsClient lazy(server.port());
  lazy.shrink_receive_buffer();
  REQUIRE(lazy.handshake());
  lazy.write(wire::Hello{wire::kProtocolVersion, "lazy"});
  lazy.write(wire::Login{1, "carol", "carol123", {}});
  REQUIRE(alice.wait<wire::PresenceEvent>(presence_of("carol", true)));
  // Fill carol's pipe far beyond what the kernel buffers, so the server's writer blocks.
  const std::string big(wire::kMaxText, 'x');
  for (int i = 0; i < 4000; ++i)
    reply_as<wire::BroadcastResult>(alice.call(wire::Broadcast{0, random_id(), big}));
  std::size_t before = 0;
  server.on_server([&](server::Server& s) { before = s.session_count(); });
  REQUIRE(before == 2);
  lazy.write(wire::Logout{1});  // the server starts a goodbye it can never flush
  REQUIRE(alice.wait<wire::PresenceEvent>(presence_of("carol", false)));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::size_t now_open = before;
  while (now_open == before && std::chrono::steady_clock::now() < deadline) {
    alice.call(wire::WhoElse{});  // a round trip on the server's loop, then look again
    server.on_server([&](server::Server& s) { now_open = s.session_count(); });
  }
  CHECK(now_open == 1);
}

namespace {
wire::LinkEndpoint endpoint_for(char c, std::uint16_t port) {
  return {"127.0.0.1", port, std::string(64, c)};
}
}  // namespace

TEST_CASE(
    "the server brokers a direct link: the target gets ready first, then the requester gets the offer") {
  TestServer server;
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice", endpoint_for('a', 1111));
  bob.sign_in("bob", endpoint_for('b', 2222));
  // bob's side answers on its own thread while alice waits for her reply.
  std::optional<wire::LinkRequest> asked;
  std::thread target([&] {
    asked = bob.wait<wire::LinkRequest>();
    if (!asked) return;
    bob.send(wire::LinkAnswer{asked->token, true, ""});
    bob.call(wire::WhoElse{});  // a round trip: the answer is on the wire before it returns
  });
  auto reply = alice.call(wire::StartPrivate{0, "bob"});
  target.join();
  auto offer = reply_as<wire::LinkOffer>(reply);
  REQUIRE(asked);
  CHECK(asked->from == "alice");
  CHECK(asked->fingerprint == std::string(64, 'a'));  // what bob must see on alice's certificate
  CHECK(asked->token.size() == 32);
  CHECK(offer.status == wire::Status::ok);
  CHECK(offer.user == "bob");
  CHECK(offer.endpoint.host == "127.0.0.1");
  CHECK(offer.endpoint.port == 2222);
  CHECK(offer.endpoint.fingerprint == std::string(64, 'b'));  // what alice must see on bob's
  CHECK(offer.token == asked->token);
}

TEST_CASE("startprivate errors from the server") {
  TestServer server([](auto& c) { c.link_answer_timeout = std::chrono::seconds(1); });
  TestClient alice(server.port()), bob(server.port()), carol(server.port());
  alice.sign_in("alice", endpoint_for('a', 1111));
  bob.sign_in("bob", endpoint_for('b', 2222));
  carol.sign_in("carol");  // takes no direct links
  auto start = [&](const std::string& user) {
    return reply_as<wire::LinkOffer>(alice.call(wire::StartPrivate{0, user}));
  };
  CHECK(start("alice").status == Status::yourself);
  CHECK(start("zed").status == Status::unknown_user);
  CHECK(start("dave").status == Status::offline);
  CHECK(start("carol").status == Status::unavailable);
  auto silent = start("bob");  // bob never answers
  CHECK(silent.status == Status::unavailable);
  CHECK(silent.message == "bob did not answer");
  REQUIRE(reply_as<wire::Result>(bob.call(wire::Block{0, "alice"})).status == Status::ok);
  auto blocked = start("bob");
  CHECK(blocked.status == Status::blocked);
  CHECK(blocked.message == "bob has blocked you");
  CHECK(bob.wait<wire::LinkRequest>());  // the one request bob ignored; none after the block:
  bob.call(wire::WhoElse{});             // handled after alice's request, so anything sent to bob came first
  CHECK(
      bob.none_pending([](const wire::Message& m) { return std::holds_alternative<wire::LinkRequest>(m); }));
}

namespace {
wire::RegisterFile movie_registration() {
  return wire::RegisterFile{0,  "movie.mkv",          1000,
                            10, std::string(32, 'h'), std::vector<std::string>(10, std::string(32, 'c'))};
}
std::vector<std::string> holders_of(const wire::FileInfo& info) {
  std::vector<std::string> users;
  for (const auto& h : info.holders) users.push_back(h.user);
  return users;
}
}  // namespace

TEST_CASE("files: registered durably, searched by others, holders listed only while online and visible") {
  TestServer server;
  {
    TestClient alice(server.port()), bob(server.port()), carol(server.port());
    alice.sign_in("alice");
    bob.sign_in("bob");
    carol.sign_in("carol");
    CHECK(reply_as<wire::Result>(alice.call(movie_registration())).status == Status::ok);
    auto again = reply_as<wire::Result>(bob.call(movie_registration()));
    CHECK(again.status == Status::already_registered);

    auto info = reply_as<wire::FileInfo>(bob.call(wire::SearchFile{0, "movie.mkv", true}));
    CHECK(info.status == Status::ok);
    CHECK(info.size == 1000);
    CHECK(info.chunk_count == 10);
    CHECK(info.file_hash == std::string(32, 'h'));
    CHECK(info.chunk_hashes.size() == 10);
    CHECK(holders_of(info) == std::vector<std::string>{"alice"});
    CHECK(reply_as<wire::FileInfo>(bob.call(wire::SearchFile{0, "nothing", false})).status ==
          Status::unknown_file);

    bob.send(wire::HaveChunks{"movie.mkv", std::string("\x01\x00", 2)});
    bob.call(wire::WhoElse{});  // a round trip: the announcement has been handled
    info = reply_as<wire::FileInfo>(carol.call(wire::SearchFile{0, "movie.mkv", false}));
    CHECK(holders_of(info) == std::vector<std::string>{"alice", "bob"});
    CHECK(info.chunk_hashes.empty());

    REQUIRE(reply_as<wire::Result>(alice.call(wire::Block{0, "carol"})).status == Status::ok);
    info = reply_as<wire::FileInfo>(carol.call(wire::SearchFile{0, "movie.mkv", false}));
    CHECK(holders_of(info) == std::vector<std::string>{"bob"});  // alice hides from carol
  }
  // After a restart the file is still known. What a peer held is forgotten when it logs
  // in (its files may have changed meanwhile) until it re-announces what it still has.
  TestServer restarted(server);
  TestClient bob(restarted.port());
  bob.sign_in("bob");
  auto info = reply_as<wire::FileInfo>(bob.call(wire::SearchFile{0, "movie.mkv", true}));
  CHECK(info.status == Status::ok);
  CHECK(info.chunk_hashes.size() == 10);
  CHECK(holders_of(info).empty());
  bob.send(wire::HaveChunks{"movie.mkv", std::string("\x01\x00", 2)});
  info = reply_as<wire::FileInfo>(bob.call(wire::SearchFile{0, "movie.mkv", false}));
  CHECK(holders_of(info) == std::vector<std::string>{"bob"});  // alice is offline
  TestClient alice(restarted.port());
  alice.sign_in("alice");
  alice.send(wire::HaveChunks{"movie.mkv", std::string("\xff\x03", 2)});
  info = reply_as<wire::FileInfo>(alice.call(wire::SearchFile{0, "movie.mkv", false}));
  CHECK(holders_of(info) == std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("graceful shutdown: everyone is told it is temporary, and it ends with the last goodbye") {
  TestServer server;
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  std::promise<void> finished;
  auto done = finished.get_future();
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  server.on_server([&](server::Server& s) {
    s.shutdown(4000ms, [&] {
      ++calls;
      finished.set_value();
    });
    s.shutdown(4000ms, [&] { ++calls; });  // a second request (a second signal) changes nothing
  });
  for (TestClient* c : {&alice, &bob}) {
    auto bye = c->wait<wire::LoggedOut>();
    REQUIRE(bye);
    CHECK(bye->temporary);
    CHECK(c->wait_closed());
  }
  // Not the 4 s of grace: the wait ends when the last session has closed.
  REQUIRE(done.wait_for(3s) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(calls == 1);
}
