// Direct links between real LinkManagers on 127.0.0.1, each with its own identity; the
// server's part (announcing dials, handing out tokens) is played by the test.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <fstream>
#include <thread>

#include "peer/links/link_manager.hpp"
#include "peer/sharing/catalog.hpp"
#include "peer/sharing/chunk_server.hpp"
#include "relay/relay.hpp"
#include "relay/ticket.hpp"
#include "shared/files/hashing.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"
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
    links = std::make_unique<LinkManager>(
        io.get_executor(), identity,
        LinkManager::Events{
            .on_open =
                [this](const std::string& user, wire::LinkPurpose purpose, bool mine) {
                  opened.push_back({label(user, purpose), mine ? "me" : "them"});
                  fingerprints_at_open.push_back(links->peer_fingerprint(user));
                },
            .on_closed =
                [this](const std::string& user, wire::LinkPurpose purpose, const std::string& why) {
                  closed.push_back({label(user, purpose), why});
                },
            .on_private =
                [this](const std::string& user, const wire::PrivateText& t) {
                  texts.push_back({user, t.text});
                },
            .on_transfer =
                [this](const std::string& user, wire::LinkMessage&& m) {
                  if (on_transfer) on_transfer(user, std::move(m));
                },
            .on_piece = {},  // pieces arrive as messages, through on_transfer
        },
        settings);
    links->set_user(name);
    port = links->listen("127.0.0.1", 0);
  }
  // Chat links are named by the user alone, as before transfers existed.
  static std::string label(const std::string& user, wire::LinkPurpose purpose) {
    return purpose == wire::LinkPurpose::chat ? user : user + " (transfer)";
  }
  std::string name;
  net::Identity identity;
  std::unique_ptr<LinkManager> links;
  std::uint16_t port = 0;
  std::vector<std::pair<std::string, std::string>> opened, closed, texts;
  std::vector<std::string> fingerprints_at_open;
  std::function<void(const std::string&, wire::LinkMessage&&)> on_transfer;
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
wire::LinkOffer broker(Peer& from, Peer& to, const std::string& token,
                       wire::LinkPurpose purpose = wire::LinkPurpose::chat) {
  to.links->expect(wire::LinkRequest{token, from.name, from.identity.fingerprint, purpose});
  return wire::LinkOffer{
      1, wire::Status::ok, "", to.name, {"127.0.0.1", to.port, to.identity.fingerprint}, token, purpose};
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

TEST_CASE("each side sees the other's certificate fingerprint; close_all says goodbye on every link") {
  TempDir dir;
  Loop loop;
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob");
  CHECK(alice.links->peer_fingerprint("bob") == "");
  const auto chat = broker(alice, bob, random_id());
  const auto transfer = broker(alice, bob, random_id(), wire::LinkPurpose::transfer);
  REQUIRE(loop.await(alice.links->dial(chat)) == "");
  REQUIRE(loop.await(alice.links->dial(transfer)) == "");
  REQUIRE(loop.until([&] { return bob.opened.size() == 2; }));
  CHECK(alice.links->peer_fingerprint("bob") == bob.identity.fingerprint);
  CHECK(bob.links->peer_fingerprint("alice") == alice.identity.fingerprint);
  CHECK(bob.links->peer_fingerprint("carol") == "");
  // Already known when on_open runs, for both purposes.
  CHECK(alice.fingerprints_at_open == std::vector<std::string>(2, bob.identity.fingerprint));
  CHECK(bob.fingerprints_at_open == std::vector<std::string>(2, alice.identity.fingerprint));

  const std::string them = "alice logged out", us = "you logged out";
  auto close_all = [&]() -> asio::awaitable<bool> {
    co_await alice.links->close_all(them, us);
    co_return true;
  };
  const auto started = std::chrono::steady_clock::now();
  CHECK(loop.await(close_all()));
  // Woken by the connections closing, not by its 2 s bound.
  CHECK(std::chrono::steady_clock::now() - started < 1900ms);
  CHECK(alice.links->users().empty());
  CHECK(alice.links->peer_fingerprint("bob") == "");
  CHECK(alice.closed.size() == 2);
  REQUIRE(loop.until([&] { return bob.closed.size() == 2; }));
  for (const auto& [link, why] : bob.closed) CHECK(why == them);  // the goodbye arrived
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

TEST_CASE("a chat link and a transfer link with the same peer are separate; pieces only on transfer links") {
  TempDir dir;
  Loop loop;
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob");
  const auto chat = broker(alice, bob, random_id());
  const auto transfer = broker(alice, bob, random_id(), wire::LinkPurpose::transfer);
  REQUIRE(loop.await(alice.links->dial(chat)) == "");
  REQUIRE(loop.await(alice.links->dial(transfer)) == "");
  REQUIRE(loop.until([&] { return bob.opened.size() == 2; }));
  CHECK(bob.opened[0].first == "alice");
  CHECK(bob.opened[1].first == "alice (transfer)");
  CHECK(alice.links->users() == std::vector<std::string>{"bob"});
  CHECK(alice.links->has("bob", wire::LinkPurpose::transfer));

  SUBCASE("a chat token does not open a transfer link") {
    bob.links->expect(wire::LinkRequest{"tok", "alice", alice.identity.fingerprint, wire::LinkPurpose::chat});
    auto forged = wire::LinkOffer{
        1,     wire::Status::ok,           "", "bob", {"127.0.0.1", bob.port, bob.identity.fingerprint},
        "tok", wire::LinkPurpose::transfer};
    alice.links->close("bob", "bye", "bye", wire::LinkPurpose::transfer);
    CHECK(loop.await(alice.links->dial(forged)).find("not a transfer link") != std::string::npos);
  }
  SUBCASE("without a transfer link, pieces cannot be sent") {
    alice.links->close("bob", "bye", "bye", wire::LinkPurpose::transfer);
    CHECK_FALSE(alice.links->send_transfer("bob", wire::LinkMessage{wire::PieceRequest{1, "f", 0, 0, 1}}));
    REQUIRE(loop.until([&] { return bob.closed.size() == 1; }));
    CHECK(bob.closed[0].first == "alice (transfer)");
    CHECK(alice.links->has("bob"));  // the chat link is untouched
  }
}

namespace {

// A holder: a Peer whose transfer links are answered by a ChunkServer over its catalog.
struct Holder {
  Holder(asio::io_context& io, const TempDir& dir, const std::string& name)
      : peer(io, dir, name), catalog(dir / (name + "-catalog.json")) {
    server = std::make_unique<peer::ChunkServer>(io.get_executor(), disk, catalog,
                                                 [this](const std::string& user, wire::SharedFrame frame) {
                                                   return peer.links->send_transfer(user, std::move(frame));
                                                 });
    peer.on_transfer = [this](const std::string& user, wire::LinkMessage&& m) {
      if (auto* r = std::get_if<wire::PieceRequest>(&m)) server->on_request(user, *r);
    };
  }
  Peer peer;
  asio::thread_pool disk{1};
  peer::Catalog catalog;
  std::unique_ptr<peer::ChunkServer> server;
};

}  // namespace

TEST_CASE("a holder serves only verified chunks of cataloged files, and refuses every other path") {
  TempDir dir;
  Loop loop;
  const auto share = dir / "share";
  std::filesystem::create_directories(share);
  std::string content(1000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7);
  std::ofstream(share / "doc.bin", std::ios::binary) << content;
  std::ofstream(share / "secret.txt") << "not shared";
  std::ofstream(dir / "outside.txt") << "outside";

  Holder alice(loop.io, dir, "alice");
  auto chunking = *files::Chunking::make(content.size(), 2);
  auto digests = files::digest_file(share / "doc.bin", chunking);
  // Only chunk 1 (of 2) is verified here.
  alice.catalog.put(
      peer::SharedFile{peer::FileMeta{"doc.bin", content.size(), 2, digests.file, digests.chunks},
                       share / "doc.bin", true, std::string("\x01", 1), 0, true});

  Peer bob(loop.io, dir, "bob");
  std::map<std::uint32_t, wire::LinkMessage> answers;
  bob.on_transfer = [&](const std::string& user, wire::LinkMessage&& m) {
    CHECK(user == "alice");
    std::uint32_t id = std::visit(
        [](const auto& x) -> std::uint32_t {
          if constexpr (requires { x.id; })
            return x.id;
          else
            return 0;
        },
        m);
    answers.emplace(id, std::move(m));
  };
  const auto offer = broker(bob, alice.peer, random_id(), wire::LinkPurpose::transfer);
  REQUIRE(loop.await(bob.links->dial(offer)) == "");
  auto ask = [&](std::uint32_t id, std::string file, std::uint32_t chunk, std::uint64_t offset,
                 std::uint32_t length) {
    REQUIRE(bob.links->send_transfer("alice",
                                     wire::LinkMessage{wire::PieceRequest{id, file, chunk, offset, length}}));
  };
  ask(1, "doc.bin", 0, 0, 100);
  ask(2, "doc.bin", 0, 450, 50);  // the last bytes of chunk 1 (500 bytes)
  ask(3, "doc.bin", 1, 0, 10);    // chunk 2: not verified here
  ask(4, "doc.bin", 0, 450, 51);  // past the end of chunk 1
  ask(5, "secret.txt", 0, 0, 10);
  ask(6, "../outside.txt", 0, 0, 5);
  ask(7, "/etc/passwd", 0, 0, 5);
  ask(8, "..", 0, 0, 5);
  ask(9, "doc.bin", 7, 0, 5);  // no such chunk
  REQUIRE(loop.until([&] { return answers.size() == 9; }));
  auto data = [&](std::uint32_t id) { return std::get<wire::PieceData>(answers.at(id)).data; };
  auto refusal = [&](std::uint32_t id) { return std::get<wire::PieceRefused>(answers.at(id)).reason; };
  CHECK(data(1) == content.substr(0, 100));
  CHECK(data(2) == content.substr(450, 50));
  CHECK(refusal(3) == "chunk 2 of doc.bin is not held here");
  CHECK(refusal(4) == "the piece lies outside chunk 1");
  for (std::uint32_t id : {5u, 6u, 7u, 8u}) CHECK(refusal(id) == "not a shared file");
  CHECK(refusal(9) == "chunk 8 of doc.bin is not held here");

  SUBCASE("a requester that asks for too much at once is refused, not queued without bound") {
    answers.clear();
    const std::uint32_t n = wire::kMaxPiecesInFlight * 3;
    for (std::uint32_t id = 100; id < 100 + n; ++id) ask(id, "doc.bin", 0, 0, 500);
    REQUIRE(loop.until([&] { return answers.size() == n; }));  // every request is answered
    std::size_t refused = 0;
    for (auto& [id, m] : answers)
      if (auto* r = std::get_if<wire::PieceRefused>(&m)) {
        CHECK(r->reason == "too many requests at once");
        ++refused;
      }
    CHECK(refused > 0);
    CHECK(refused < n);
  }
  CHECK(bob.links->has("alice", wire::LinkPurpose::transfer));  // refusals do not cost the link
}

namespace {

const std::string kRelaySecret = "a secret the registry and the relay share";

// The server's part for a relayed link: one ticket per side, for the same pair.
wire::RelayTicket relay_ticket(const relay::Relay& r, std::uint16_t port, const std::string& token,
                               std::uint8_t side, const std::string& user) {
  relay::Ticket t{relay::pair_of_token(token), side, now_ms() + 60'000, user};
  return {"127.0.0.1", port, r.fingerprint(), relay::sign_ticket(t, kRelaySecret)};
}

struct RelayBed {
  RelayBed(asio::io_context& io, const TempDir& dir, relay::Limits limits = {})
      : identity(net::load_or_create_identity(dir / "relay", "relay", "relay")),
        capture(dir / "relay.capture"),
        relay(io.get_executor(), identity,
              relay::RelayConfig{"127.0.0.1", 0, kRelaySecret, limits, capture}) {
    port = relay.start();
  }
  net::Identity identity;
  std::filesystem::path capture;
  relay::Relay relay;
  std::uint16_t port = 0;
};

// What the target gets (LinkRequest) and the requester gets (LinkOffer) for a relayed link.
std::pair<wire::LinkRequest, wire::LinkOffer> broker_relayed(RelayBed& bed, Peer& from, Peer& to,
                                                             const std::string& token) {
  wire::LinkRequest request{token, from.name, from.identity.fingerprint, wire::LinkPurpose::chat,
                            wire::LinkPath::relay};
  request.relay = relay_ticket(bed.relay, bed.port, token, 1, to.name);
  wire::LinkOffer offer{1,
                        wire::Status::ok,
                        "",
                        to.name,
                        {"", 0, to.identity.fingerprint},
                        token,
                        wire::LinkPurpose::chat,
                        wire::LinkPath::relay};
  offer.relay = relay_ticket(bed.relay, bed.port, token, 0, from.name);
  return {request, offer};
}

}  // namespace

TEST_CASE("a relayed link: both meet at the relay, and their own TLS runs end to end through it") {
  TempDir dir;
  Loop loop;
  RelayBed bed(loop.io, dir);
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob");
  auto [request, offer] = broker_relayed(bed, alice, bob, random_id());
  REQUIRE(bob.links->expect(request));
  asio::co_spawn(loop.io, bob.links->answer(request), [](std::exception_ptr, std::string) {});
  CHECK(loop.await(alice.links->dial(offer)) == "");
  REQUIRE(loop.until([&] { return !bob.opened.empty(); }));
  CHECK(alice.links->path("bob") == wire::LinkPath::relay);
  CHECK(bob.links->path("alice") == wire::LinkPath::relay);
  // Each side sees the other's own certificate, not the relay's.
  CHECK(alice.fingerprints_at_open == std::vector<std::string>{bob.identity.fingerprint});
  CHECK(bob.fingerprints_at_open == std::vector<std::string>{alice.identity.fingerprint});
  const std::string user_bob = "bob", secret = "the plaintext the relay must never see";
  CHECK(loop.await(alice.links->send_private(user_bob, secret)) == "");
  CHECK(bob.texts == std::vector<std::pair<std::string, std::string>>{{"alice", secret}});
  CHECK(bed.relay.links() == 1);
  CHECK(bed.relay.bytes_relayed() > 0);
  alice.links->close("bob", "bye", "closed");
  REQUIRE(loop.until([&] { return !bob.closed.empty() && bed.relay.links() == 0; }));
  bed.relay.stop();  // flushes nothing more: the capture is complete
  std::ifstream in(bed.capture, std::ios::binary);
  const std::string seen((std::istreambuf_iterator<char>(in)), {});
  CHECK(seen.size() == bed.relay.bytes_relayed());
  CHECK(seen.find(secret) == std::string::npos);
}

TEST_CASE(
    "a stranger with a stolen relay ticket is paired, then refused by the end-to-end certificate check") {
  TempDir dir;
  Loop loop;
  RelayBed bed(loop.io, dir);
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob"), mallory(loop.io, dir, "mallory");
  mallory.links->set_user("alice");  // claims to be alice, with alice's ticket and token
  auto [request, offer] = broker_relayed(bed, alice, bob, random_id());
  REQUIRE(bob.links->expect(request));
  asio::co_spawn(loop.io, bob.links->answer(request), [](std::exception_ptr, std::string) {});
  auto error = loop.await(mallory.links->dial(offer));
  CHECK(error.find("refused the link") != std::string::npos);
  CHECK(error.find("does not match the one the server vouched for") != std::string::npos);
  CHECK(bob.opened.empty());
  // The ticket was used up by the stranger: alice learns it from the relay.
  error = loop.await(alice.links->dial(offer));
  CHECK(error.find("already used") != std::string::npos);
}

TEST_CASE("a relay at its cap refuses a pairing, with the reason, to both peers") {
  TempDir dir;
  Loop loop;
  relay::Limits limits;
  limits.max_links = 0;
  RelayBed bed(loop.io, dir, limits);
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob");
  auto [request, offer] = broker_relayed(bed, alice, bob, random_id());
  REQUIRE(bob.links->expect(request));
  std::optional<std::string> bob_error;
  asio::co_spawn(loop.io, bob.links->answer(request),
                 [&](std::exception_ptr, std::string e) { bob_error = e; });
  auto error = loop.await(alice.links->dial(offer));
  CHECK(error.find("the relay is full") != std::string::npos);
  REQUIRE(loop.until([&] { return bob_error.has_value(); }));
  CHECK(bob_error->find("the relay is full") != std::string::npos);
}

TEST_CASE("a reverse link: the target dials the requester, who expected it") {
  TempDir dir;
  Loop loop;
  Peer alice(loop.io, dir, "alice"), bob(loop.io, dir, "bob");
  const std::string token = random_id();
  wire::LinkOffer offer{1,
                        wire::Status::ok,
                        "",
                        "bob",
                        {"", 0, bob.identity.fingerprint},
                        token,
                        wire::LinkPurpose::chat,
                        wire::LinkPath::reverse};
  wire::LinkRequest request{token,
                            "alice",
                            alice.identity.fingerprint,
                            wire::LinkPurpose::chat,
                            wire::LinkPath::reverse,
                            {"127.0.0.1", alice.port, alice.identity.fingerprint}};
  std::optional<std::string> alice_outcome;
  asio::co_spawn(loop.io, alice.links->dial(offer),
                 [&](std::exception_ptr, std::string e) { alice_outcome = e; });
  CHECK(loop.await(bob.links->answer(request)) == "");
  REQUIRE(loop.until([&] { return alice_outcome.has_value(); }));
  CHECK(*alice_outcome == "");
  CHECK(alice.opened == std::vector<std::pair<std::string, std::string>>{{"bob", "them"}});
  CHECK(bob.opened == std::vector<std::pair<std::string, std::string>>{{"alice", "me"}});
  CHECK(alice.links->path("bob") == wire::LinkPath::reverse);
}
