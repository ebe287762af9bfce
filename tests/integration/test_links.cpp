// Direct links between real LinkManagers on 127.0.0.1, each with its own identity; the
// server's part (announcing dials, handing out tokens) is played by the test.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <thread>

#include "peer/links/link_manager.hpp"
#include "shared/util/hex.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;
using peer::LinkManager;

namespace {

struct Peer {
  Peer(asio::io_context& io, const TempDir& dir, const std::string& name, LinkManager::Settings settings = {})
      : name(name), identity(net::load_or_create_identity(dir / name, "identity", name)) {
    links =
        std::make_unique<LinkManager>(io.get_executor(), identity,
                                      LinkManager::Events{
                                          .on_open =
                                              [this](const std::string& user, bool mine) {
                                                opened.push_back({user, mine ? "me" : "them"});
                                              },
                                          .on_closed =
                                              [this](const std::string& user, const std::string& why) {
                                                closed.push_back({user, why});
                                              },
                                          .on_private =
                                              [this](const std::string& user, const wire::PrivateText& t) {
                                                texts.push_back({user, t.text});
                                              },
                                      },
                                      settings);
    links->set_user(name);
    port = links->listen("127.0.0.1", 0);
  }
  std::string name;
  net::Identity identity;
  std::unique_ptr<LinkManager> links;
  std::uint16_t port = 0;
  std::vector<std::pair<std::string, std::string>> opened, closed, texts;
};

struct RawOutcome {
  bool handshake = false;
  std::optional<wire::LinkMessage> answer;
  bool closed = false;
};

class Loop {
 public:
  // Runs blocking client code on a thread of its own while this loop keeps serving.
  template <class F>
  auto beside(F&& f) {
    using R = decltype(f());
    std::optional<R> result;
    std::atomic<bool> done = false;
    std::thread worker([&] {
      result = f();
      done = true;
    });
    bool finished = until([&] { return done.load(); }, 30s);
    worker.join();
    REQUIRE(finished);
    return std::move(*result);
  }
  // Runs the loop until `done` or the deadline; false on timeout.
  bool until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.restart();
      io.run_one_for(50ms);
    }
    return true;
  }
  // Runs an awaitable to completion and returns its result.
  template <class T>
  T await(asio::awaitable<T> task) {
    std::optional<T> result;
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
      if (e) std::rethrow_exception(e);
      result = std::move(value);
    });
    REQUIRE(until([&] { return result.has_value(); }, 20s));
    return std::move(*result);
  }
  asio::io_context io;
};

// What the server does for a StartPrivate: tell the target whom to expect, and the
// requester where to dial.
wire::LinkOffer broker(Peer& from, Peer& to, const std::string& token) {
  to.links->expect(wire::LinkRequest{token, from.name, from.identity.fingerprint});
  return wire::LinkOffer{1,    wire::Status::ok, "", to.name, {"127.0.0.1", to.port, to.identity.fingerprint},
                         token};
}

}  // namespace

TEST_CASE("a brokered link opens, carries acknowledged messages both ways, and closes with a goodbye") {
  TempDir dir;
  Loop loop;
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob");
  const auto offer = broker(alice, bob, random_id());
  CHECK(loop.await(alice.links->dial(offer)) == "");
  REQUIRE(loop.until([&] { return !bob.opened.empty(); }));
  CHECK(alice.opened == std::vector<std::pair<std::string, std::string>>{{"bob", "me"}});
  CHECK(bob.opened == std::vector<std::pair<std::string, std::string>>{{"alice", "them"}});

  const std::string user_bob = "bob", user_alice = "alice", hi = "hi bob", yo = "yo alice";
  CHECK(loop.await(alice.links->send_private(user_bob, hi)) == "");  // returns once bob acknowledged
  CHECK(bob.texts == std::vector<std::pair<std::string, std::string>>{{"alice", "hi bob"}});
  CHECK(loop.await(bob.links->send_private(user_alice, yo)) == "");
  CHECK(alice.texts == std::vector<std::pair<std::string, std::string>>{{"bob", "yo alice"}});

  alice.links->close("bob", "closed by alice", "closed by you");
  REQUIRE(loop.until([&] { return !bob.closed.empty(); }));
  CHECK(bob.closed[0] == std::pair<std::string, std::string>{"alice", "closed by alice"});
  CHECK(alice.closed[0] == std::pair<std::string, std::string>{"bob", "closed by you"});
  CHECK_FALSE(alice.links->has("bob"));
  CHECK_FALSE(bob.links->has("alice"));
  CHECK(loop.await(alice.links->send_private(user_bob, hi)).find("no private link") != std::string::npos);
}

TEST_CASE("the listener refuses replayed and forged tokens") {
  TempDir dir;
  Loop loop;
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob");
  const auto offer = broker(alice, bob, random_id());
  REQUIRE(loop.await(alice.links->dial(offer)) == "");
  alice.links->close("bob", "bye", "bye");
  REQUIRE(loop.until([&] { return !bob.closed.empty(); }));

  auto replayed = loop.await(alice.links->dial(offer));  // the same token again
  CHECK(replayed.find("refused") != std::string::npos);
  CHECK(replayed.find("unknown or already used token") != std::string::npos);

  auto forged_offer = offer;
  forged_offer.token = random_id();  // never announced by the server
  CHECK(loop.await(alice.links->dial(forged_offer)).find("unknown or already used token") !=
        std::string::npos);
  CHECK(bob.opened.size() == 1);  // only the first, legitimate link ever opened
}

TEST_CASE("a dialer with another certificate is refused, even holding a valid token") {
  TempDir dir;
  Loop loop;
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob"), mallory(loop.io, dir, "mallory");
  const std::string token = random_id();
  bob.links->expect(wire::LinkRequest{token, "alice", alice.identity.fingerprint});

  SUBCASE("mallory's own peer claims to be alice") {
    mallory.links->set_user("alice");
    const wire::LinkOffer stolen{
        1, wire::Status::ok, "", "bob", {"127.0.0.1", bob.port, bob.identity.fingerprint}, token};
    auto refused = loop.await(mallory.links->dial(stolen));
    CHECK(refused.find("does not match the one the server vouched for") != std::string::npos);
  }
  SUBCASE("a raw TLS client with mallory's certificate sends alice's hello") {
    auto outcome = loop.beside([&] {
      RawTlsClient raw(bob.port, &mallory.identity);
      RawOutcome o;
      o.handshake = raw.handshake();
      raw.write(wire::LinkMessage{wire::LinkHello{wire::kLinkVersion, "alice", token}});
      o.answer = raw.read_link();
      o.closed = raw.wait_closed();
      return o;
    });
    CHECK(outcome.handshake);
    REQUIRE(outcome.answer);
    CHECK(std::holds_alternative<wire::LinkRefused>(*outcome.answer));
    CHECK(outcome.closed);
  }
  SUBCASE("a raw TLS client with no certificate at all") {
    auto outcome = loop.beside([&] {
      RawTlsClient raw(bob.port);
      RawOutcome o;
      raw.handshake();  // TLS 1.3: the server's refusal may arrive after the client's side is done
      raw.write(wire::LinkMessage{wire::LinkHello{wire::kLinkVersion, "alice", token}});
      o.answer = raw.read_link(5s);
      o.closed = raw.wait_closed();
      return o;
    });
    CHECK_FALSE(outcome.answer);
    CHECK(outcome.closed);
  }
  CHECK(bob.opened.empty());
  const wire::LinkOffer real{
      1, wire::Status::ok, "", "bob", {"127.0.0.1", bob.port, bob.identity.fingerprint}, token};
  SUBCASE("a hello that was refused burns the token: even alice cannot use it now") {
    mallory.links->set_user("alice");
    const wire::LinkOffer stolen = real;
    REQUIRE(loop.await(mallory.links->dial(stolen)) != "");
    CHECK(loop.await(alice.links->dial(real)).find("unknown or already used token") != std::string::npos);
  }
  SUBCASE("a client that never got past TLS leaves the token for alice") {
    auto outcome = loop.beside([&] {
      RawTlsClient raw(bob.port);
      raw.handshake();
      return raw.wait_closed();
    });
    CHECK(outcome);
    CHECK(loop.await(alice.links->dial(real)) == "");
  }
}

TEST_CASE("the dialer refuses a listener whose certificate is not the one the server vouched for") {
  TempDir dir;
  Loop loop;
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob"), mallory(loop.io, dir, "mallory");
  auto offer = broker(alice, bob, random_id());
  offer.endpoint.port = mallory.port;  // the network sends alice to mallory's listener
  mallory.links->expect(wire::LinkRequest{offer.token, "alice", alice.identity.fingerprint});
  auto error = loop.await(alice.links->dial(offer));
  CHECK(error.find("not the one the server vouched for") != std::string::npos);
  CHECK(mallory.opened.empty());  // and alice said nothing to it: no hello, no token
  CHECK(alice.opened.empty());
}

TEST_CASE("a link whose other side vanishes is reported closed") {
  TempDir dir;
  Loop loop;
  SUBCASE("the other peer exits (its sockets close)") {
    auto alice = std::make_unique<Peer>(loop.io, dir, "alice");
    Peer bob(loop.io, dir, "bob");
    const auto offer = broker(*alice, bob, random_id());
    REQUIRE(loop.await(alice->links->dial(offer)) == "");
    REQUIRE(loop.until([&] { return !bob.opened.empty(); }));
    alice.reset();
    REQUIRE(loop.until([&] { return !bob.closed.empty(); }));
    CHECK(bob.closed[0].first == "alice");
    CHECK(bob.closed[0].second.find("connection lost") != std::string::npos);
  }
  SUBCASE("the other peer goes silent (no heartbeats)") {
    LinkManager::Settings quiet;
    quiet.heartbeat_every = 60s;
    LinkManager::Settings watchful;
    watchful.dead_after = 1s;
    Peer alice(loop.io, dir, "alice", quiet), bob(loop.io, dir, "bob", watchful);
    const auto offer = broker(alice, bob, random_id());
    REQUIRE(loop.await(alice.links->dial(offer)) == "");
    REQUIRE(loop.until([&] { return !bob.closed.empty(); }, 5s));
    CHECK(bob.closed[0].second.find("nothing heard") != std::string::npos);
    REQUIRE(loop.until([&] { return !alice.closed.empty(); }));  // and alice learns it too
  }
}

TEST_CASE("heartbeats keep a quiet link open") {
  TempDir dir;
  Loop loop;
  LinkManager::Settings fast;
  fast.heartbeat_every = 200ms;
  fast.dead_after = 1500ms;
  Peer alice(loop.io, dir, "alice", fast), bob(loop.io, dir, "bob", fast);
  const auto offer = broker(alice, bob, random_id());
  REQUIRE(loop.await(alice.links->dial(offer)) == "");
  // Three dead-after periods of silence from the users: the link must survive them.
  CHECK_FALSE(loop.until([&] { return !alice.closed.empty() || !bob.closed.empty(); }, 4500ms));
  CHECK(alice.links->has("bob"));
  CHECK(bob.links->has("alice"));
}

TEST_CASE("both sides dialing at once end up with one working link, the same on both sides") {
  TempDir dir;
  Loop loop;
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob");
  const auto to_bob = broker(alice, bob, random_id());
  const auto to_alice = broker(bob, alice, random_id());
  std::optional<std::string> a_result, b_result;
  asio::co_spawn(loop.io, alice.links->dial(to_bob),
                 [&](std::exception_ptr, std::string r) { a_result = r; });
  asio::co_spawn(loop.io, bob.links->dial(to_alice),
                 [&](std::exception_ptr, std::string r) { b_result = r; });
  REQUIRE(loop.until([&] { return a_result && b_result; }));
  CHECK(*a_result == "");
  CHECK(*b_result == "");
  CHECK(alice.opened.size() == 1);  // reported once, whatever happened underneath
  CHECK(bob.opened.size() == 1);
  const std::string user_bob = "bob", user_alice = "alice", hi = "hi", yo = "yo";
  CHECK(loop.await(alice.links->send_private(user_bob, hi)) == "");
  CHECK(loop.await(bob.links->send_private(user_alice, yo)) == "");
  CHECK(alice.closed.empty());
  CHECK(bob.closed.empty());
}
