// The server against floods and guessers (issue 17): fair use per user, connection caps,
// the pre-login deadline, login throttling. Real server on 127.0.0.1; other loopback
// addresses (127.0.0.2 ...) stand for other machines.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "bench/process_stats.hpp"
#include "server/auth/password.hpp"
#include "server/console/console.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/replies.hpp"
#include "tests/support/raw_client.hpp"

using namespace parley;
using namespace parley::test;
using wire::Status;

namespace {

std::vector<std::uint8_t> frames(std::size_t n, const std::function<wire::Message(std::uint32_t)>& make) {
  std::vector<std::uint8_t> bytes;
  for (std::uint32_t i = 1; i <= n; ++i) {
    auto frame = wire::encode_frame(make(i));
    bytes.insert(bytes.end(), frame.begin(), frame.end());
  }
  return bytes;
}

wire::RegisterFile registration(const std::string& name, std::uint32_t chunks) {
  return wire::RegisterFile{0,
                            name,
                            1'000'000,
                            chunks,
                            std::string(32, 'f'),
                            std::vector<std::string>(chunks, std::string(32, 'c'))};
}

// The test process's resident memory (the server and its clients), for the bench note
// in docs/performance.md.
std::int64_t rss_kib() { return bench::process_rss_kib(::getpid()).value_or(0); }

}  // namespace

TEST_CASE("a broadcast flood is refused past the burst, the flooder kicked; nobody else is cut off") {
  TestServer server;
  TestClient bob(server.port()), carol(server.port());
  bob.sign_in("bob");
  carol.sign_in("carol");
  RawTlsClient flooder(server.port());
  REQUIRE(flooder.handshake());
  REQUIRE(flooder.log_in("alice", "alice123")->status == Status::ok);
  flooder.write(frames(2000, [](std::uint32_t i) { return wire::Broadcast{i, random_id(), "spam"}; }));
  int accepted = 0, limited = 0;
  std::string goodbye;
  while (auto m = flooder.read(5s)) {
    if (std::holds_alternative<wire::BroadcastResult>(*m)) ++accepted;
    if (auto* r = std::get_if<wire::Result>(&*m); r && r->status == Status::rate_limited) {
      if (limited++ == 0) CHECK(r->message.find("try again in") != std::string::npos);
    }
    if (auto* out = std::get_if<wire::LoggedOut>(&*m)) goodbye = out->reason;
  }
  MESSAGE(accepted << " accepted, " << limited << " refused; RSS " << rss_kib() << " KiB");
  CHECK(accepted >= 10);
  CHECK(accepted <= 12);  // the burst, and what the rate refilled meanwhile
  CHECK(limited >= 150);
  CHECK(goodbye.find("flooding") != std::string::npos);
  // The others saw exactly the accepted broadcasts, and are still here.
  for (auto* c : {&bob, &carol}) {
    for (int i = 0; i < accepted; ++i) CHECK(c->wait<wire::BroadcastEvent>());
    CHECK(c->call(wire::Ping{}));
    CHECK_FALSE(c->closed());
  }
  // Kept out for a while.
  TestClient again(server.port());
  REQUIRE(again.connect() == "");
  auto refused = again.login("alice", "alice123");
  CHECK(refused.status == Status::locked);
  CHECK(refused.retry_after_s > 200);
}

TEST_CASE("registrations past the per-user quota are refused with rate_limited; others may still register") {
  TestServer server([](auto& c) {
    c.fair_use.max_files_per_user = 3;
    c.fair_use.max_chunks_per_user = 100;
  });
  TestClient alice(server.port()), bob(server.port());
  alice.sign_in("alice");
  bob.sign_in("bob");
  for (int i = 0; i < 3; ++i)
    CHECK(reply_as<wire::Result>(alice.call(registration("f" + std::to_string(i), 10))).status == Status::ok);
  auto over = reply_as<wire::Result>(alice.call(registration("f3", 1)));
  CHECK(over.status == Status::rate_limited);
  CHECK(over.message.find("3 files") != std::string::npos);
  CHECK(reply_as<wire::Result>(bob.call(registration("big", 100))).status == Status::ok);
  CHECK(reply_as<wire::Result>(bob.call(registration("more", 1))).status == Status::rate_limited);
  // The quota counts what was registered before a restart too.
  TestServer restarted(server, [](auto& c) { c.fair_use.max_files_per_user = 3; });
  TestClient again(restarted.port());
  again.sign_in("alice");
  CHECK(reply_as<wire::Result>(again.call(registration("f4", 1))).status == Status::rate_limited);
}

TEST_CASE("connection caps: pre-login connections per address and in all; a login frees its place") {
  TestServer server([](auto& c) {
    c.caps.max_prelogin_per_ip = 3;
    c.caps.max_prelogin = 5;
    c.caps.max_connections = 6;
  });
  auto count = [&] {
    std::size_t n = 0;
    server.on_server([&](server::Server& s) { n = s.connection_caps().connections(); });
    return n;
  };
  std::vector<std::unique_ptr<RawTlsClient>> held;
  auto open_from = [&](const std::string& address) {
    auto client = std::make_unique<RawTlsClient>(server.port());
    client->bind_source(address);
    if (!client->handshake()) return false;
    held.push_back(std::move(client));
    return true;
  };
  for (int i = 0; i < 3; ++i) REQUIRE(open_from("127.0.0.2"));
  CHECK_FALSE(open_from("127.0.0.2"));  // closed before TLS
  REQUIRE(open_from("127.0.0.3"));
  REQUIRE(open_from("127.0.0.3"));
  CHECK_FALSE(open_from("127.0.0.4"));  // 5 not logged in already
  CHECK(count() == 5);
  // Logging in frees a pre-login place: one more may connect, up to the total.
  RawTlsClient& first = *held.front();
  REQUIRE(first.log_in("alice", "alice123")->status == Status::ok);
  REQUIRE(open_from("127.0.0.4"));
  CHECK(count() == 6);
  CHECK_FALSE(open_from("127.0.0.5"));  // 6 in all
  held.pop_back();
  held.pop_back();
  held.pop_back();  // their closes reach the server in time
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (count() > 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  CHECK(count() == 3);
  CHECK(open_from("127.0.0.5"));
}

TEST_CASE("a connection that only sends heartbeats before login is closed at the login deadline") {
  CHECK(server::ServerConfig{}.login_timeout <= std::chrono::seconds(30));  // the default is short
  TestServer server([](auto& c) { c.login_timeout = std::chrono::seconds(2); });
  RawTlsClient idle(server.port());
  REQUIRE(idle.handshake());
  idle.write(wire::Hello{wire::kProtocolVersion, "idle"});
  REQUIRE(idle.read());  // Welcome
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  std::optional<wire::LoggedOut> goodbye;
  while (!closed && std::chrono::steady_clock::now() - start < 10s) {
    idle.write(wire::Heartbeat{});
    auto m = idle.read(300ms);
    if (m && std::holds_alternative<wire::LoggedOut>(*m)) goodbye = std::get<wire::LoggedOut>(*m);
    closed = goodbye && idle.wait_closed(2s);
  }
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(goodbye);
  CHECK(goodbye->reason == "login timeout");
  CHECK(took >= 1500ms);
  CHECK(took < 4s);
}

TEST_CASE("the operator's kick with minutes keeps the user out for that long, online or not") {
  TestServer server;
  TestClient bob(server.port());
  bob.sign_in("bob");
  std::vector<std::string> said;
  auto console = [&](const std::string& line) {
    server.on_server([&](server::Server& s) {
      server::Console c(
          s, [&](const std::string& out) { said.push_back(out); }, [] {});
      c.execute(line);
    });
    return said.back();
  };
  CHECK(console("kick bob 5 spamming") == "kicked bob; banned for 5 minutes");
  auto out = bob.wait<wire::LoggedOut>();
  REQUIRE(out);
  CHECK(out->reason == "kicked by the operator: spamming; banned for 5 minutes");
  TestClient again(server.port());
  REQUIRE(again.connect() == "");
  auto refused = again.login("bob", "bob123");
  CHECK(refused.status == Status::locked);
  CHECK(refused.retry_after_s > 290);
  CHECK(refused.retry_after_s <= 300);
  CHECK(refused.message.find("spamming") != std::string::npos);
  CHECK(console("kick carol 1") == "carol is not online; banned for 1 minute");
  TestClient carol(server.port());
  REQUIRE(carol.connect() == "");
  CHECK(carol.login("carol", "carol123").status == Status::locked);
  TestClient alice(server.port());  // nobody else is affected
  alice.sign_in("alice");
}
