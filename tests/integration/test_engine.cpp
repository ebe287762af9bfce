// The peer engine without a terminal: commands in, typed events out, against a real
// server on 127.0.0.1. Several engines share the test's io_context; the server runs on
// its own thread.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>

#include "tests/integration/engine_fixture.hpp"

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;
namespace ev = peer::ev;

TEST_CASE("engine: login is shown first, then what waited offline") {
  Fixture f;
  auto alice = f.log_in("alice");
  CHECK(f.execute(*alice, "message bob hello while you were away"));
  auto bob = f.log_in("bob");
  REQUIRE(f.run_until([&] { return bob->has<ev::Chat>(); }));
  CHECK(std::holds_alternative<ev::LoggedIn>(bob->events.front()));
  auto chat = bob->all<ev::Chat>().front();
  CHECK(chat.message.text == "hello while you were away");
  CHECK(chat.message.seq != 0);
}

TEST_CASE("engine: a message is shown to its sender with each recipient's outcome") {
  Fixture f;
  auto alice = f.log_in("alice");
  auto bob = f.log_in("bob");
  CHECK(f.execute(*alice, "message bob hi"));
  auto sent = alice->all<ev::Sent>();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].pending);  // our line at once, then the server's answer
  CHECK(sent[1].to == std::vector<std::string>{"bob"});
  CHECK(sent[1].text == "hi");
  REQUIRE(sent[1].results.size() == 1);
  CHECK(sent[1].results[0].status == wire::Status::ok);
  CHECK(f.run_until([&] { return bob->has<ev::Chat>(); }));

  CHECK_FALSE(f.execute(*alice, "message bob,nobody hi all"));
  auto group = alice->all<ev::Sent>().back();
  REQUIRE(group.results.size() == 2);
  CHECK(group.results[0].status == wire::Status::ok);
  CHECK(group.results[1].user == "nobody");
  CHECK(group.results[1].status == wire::Status::unknown_user);
}

TEST_CASE("engine: /me goes to the last partner and arrives as an action") {
  Fixture f;
  auto alice = f.log_in("alice");
  auto bob = f.log_in("bob");
  CHECK_FALSE(f.execute(*alice, "/me waves"));
  CHECK(alice->has<ev::Error>([](const ev::Error& e) { return e.command == "me"; }));
  CHECK(f.execute(*alice, "message bob hi"));
  CHECK(f.execute(*alice, "/me waves"));
  REQUIRE(f.run_until([&] { return bob->all<ev::Chat>().size() == 2; }));
  auto action = bob->all<ev::Chat>()[1];
  CHECK(action.action);
  CHECK(action.message.text == "waves");
  CHECK(alice->all<ev::Sent>().back().action);
}

TEST_CASE("engine: block refuses their messages and unblock lets them through") {
  Fixture f;
  auto alice = f.log_in("alice");
  auto bob = f.log_in("bob");
  CHECK(f.execute(*bob, "block alice"));
  CHECK_FALSE(f.execute(*alice, "message bob hi"));
  CHECK(alice->all<ev::Sent>().back().results.at(0).status == wire::Status::blocked);
  CHECK(f.execute(*bob, "unblock alice"));
  CHECK(f.execute(*alice, "message bob hi again"));
}

TEST_CASE("engine: who is online, with and without yourself") {
  Fixture f;
  auto alice = f.log_in("alice");
  auto bob = f.log_in("bob");
  CHECK(f.execute(*alice, "whoelse"));
  auto users = alice->all<ev::Users>().back();
  REQUIRE(users.users.size() == 1);
  CHECK(users.users[0].user == "bob");
  CHECK(f.execute(*alice, "users"));
  CHECK(alice->all<ev::Users>().back().users.size() == 2);
  CHECK(f.execute(*alice, "whoelsesince 60"));
  CHECK(alice->all<ev::Users>().back().command == "whoelsesince");
}

TEST_CASE("engine: a direct link shows both fingerprints, and private text crosses it") {
  Fixture f;
  auto alice = f.log_in("alice");
  auto bob = f.log_in("bob");
  CHECK_FALSE(f.execute(*alice, "fingerprint bob"));  // no link yet
  CHECK(f.execute(*alice, "startprivate bob"));
  REQUIRE(f.run_until([&] { return bob->has<ev::Link>() && alice->has<ev::Link>(); }));
  auto link = alice->all<ev::Link>().front();
  CHECK(link.open);
  CHECK(link.fingerprint.size() == 64);

  CHECK(f.execute(*bob, "fingerprint"));
  auto bobs_own = bob->all<ev::Fingerprint>().back();
  CHECK(bobs_own.mine);
  CHECK(bobs_own.fingerprint == link.fingerprint);
  CHECK(f.execute(*alice, "fingerprint bob"));
  CHECK(alice->all<ev::Fingerprint>().back().fingerprint == link.fingerprint);

  CHECK(f.execute(*alice, "private bob psst"));
  CHECK(alice->has<ev::Private>([](const ev::Private& p) { return p.mine && p.message.text == "psst"; }));
  REQUIRE(f.run_until([&] { return bob->has<ev::Private>(); }));
  CHECK(bob->all<ev::Private>().front().message.text == "psst");
  CHECK(f.execute(*alice, "stopprivate bob"));
}

TEST_CASE("engine: commands that need the server say so when logged out; login brings it back") {
  Fixture f;
  auto alice = f.log_in("alice");
  CHECK_FALSE(f.execute(*alice, "login"));  // already logged in
  CHECK_FALSE(f.execute(*alice, "reconnect"));
  CHECK(f.execute(*alice, "wait"));  // nothing running: returns at once
  CHECK(f.execute(*alice, "downloads"));
  CHECK(alice->all<ev::Downloads>().back().downloads.empty());
  CHECK(f.execute(*alice, "uploads"));
  CHECK(alice->has<ev::Uploads>());
  f.server.on_server([](server::Server& s) { s.kick("alice", "testing"); });
  REQUIRE(f.run_until([&] { return alice->has<ev::LoggedOut>(); }));
  CHECK(alice->all<ev::LoggedOut>().front().can_log_in_again);
  CHECK_FALSE(alice->exit_code.has_value());
  CHECK_FALSE(f.execute(*alice, "whoelse"));
  CHECK(f.execute(*alice, "login"));
  CHECK(alice->all<ev::LoggedIn>().size() == 2);
  CHECK(f.execute(*alice, "whoelse"));
}

TEST_CASE("engine: logout ends the engine with exit code 0") {
  Fixture f;
  auto alice = f.log_in("alice");
  CHECK(f.execute(*alice, "logout"));
  CHECK(alice->exit_code == 0);
  CHECK(alice->has<ev::LoggedOut>());
}

TEST_CASE("engine: a server restart shows one line each way and no presence churn") {
  Fixture f;
  auto alice = f.log_in("alice");
  auto bob = f.log_in("bob");
  auto carol = f.log_in("carol");
  const auto port = f.server.port();
  // Logged in one after the other: each has seen the later ones arrive.
  REQUIRE(f.run_until(
      [&] { return alice->all<ev::Presence>().size() == 2 && bob->all<ev::Presence>().size() == 1; }));
  TestServer restarted(f.server, [port](server::ServerConfig& c) { c.port = port; });
  for (auto* p : {alice.get(), bob.get(), carol.get()})
    REQUIRE(f.run_until([&] { return p->has<ev::Server>([](const ev::Server& s) { return s.up; }); }, 30s));
  CHECK(alice->all<ev::Server>().size() == 2);  // lost, back
  // carol leaves for real: that, and only that, is told.
  CHECK(f.execute(*carol, "logout"));
  for (auto* p : {alice.get(), bob.get()}) {
    const std::size_t before = p == alice.get() ? 2 : 1;
    REQUIRE(f.run_until([&] { return p->all<ev::Presence>().size() > before; }));
    auto shown = p->all<ev::Presence>();
    CHECK(shown.size() == before + 1);
    CHECK(shown.back().event.user == "carol");
    CHECK_FALSE(shown.back().event.online);
  }
}

TEST_CASE("engine: two logins at once after a kick make one attempt, and it succeeds") {
  Fixture f;
  auto alice = f.log_in("alice");
  f.server.on_server([](server::Server& s) { s.kick("alice", "testing"); });
  REQUIRE(f.run_until([&] { return alice->has<ev::LoggedOut>(); }));
  alice->engine->touch();  // Enter on an empty line
  const peer::Command login = peer::cmd::Login{};
  CHECK(f.run(alice->engine->execute(login)));  // typed `login` meanwhile
  REQUIRE(f.run_until([&] { return alice->all<ev::LoggedIn>().size() == 2; }));
  CHECK_FALSE(alice->has<ev::Error>());
  CHECK(f.execute(*alice, "whoelse"));
  CHECK(alice->all<ev::LoggedIn>().size() == 2);
}

TEST_CASE("engine: a message sent twice with one id is shown once, and history keeps the conversation") {
  Fixture f;
  auto bob = f.log_in("bob");
  TestClient alice(f.server.port());
  REQUIRE(alice.connect(f.server.fingerprint()).empty());
  REQUIRE(alice.login("alice", "alice123").status == wire::Status::ok);
  // A sender that lost the answer sends again with the same id.
  for (int i = 0; i < 2; ++i) REQUIRE(alice.call(wire::SendMessage{0, "id-1", {"bob"}, "only once"}));
  REQUIRE(alice.call(wire::SendMessage{0, "id-2", {"bob"}, "and then this"}));
  REQUIRE(f.run_until([&] {
    auto chats = bob->all<ev::Chat>();
    return !chats.empty() && chats.back().message.text == "and then this";
  }));
  CHECK(bob->all<ev::Chat>().size() == 2);

  CHECK(f.execute(*bob, "message alice hello"));
  CHECK(f.execute(*bob, "history alice 10"));
  auto history = bob->all<ev::History>().back();
  CHECK(history.user == "alice");
  REQUIRE(history.messages.size() == 3);
  CHECK(history.messages[0].text == "only once");
  CHECK(history.messages[0].state == "received");
  CHECK(history.messages[2].text == "hello");
  CHECK(history.messages[2].mine);
  // alice is online, but her test client does not acknowledge: stored after the grace.
  CHECK(history.messages[2].state == "stored");
}

namespace {

// The token line the peer keeps for `user` in its data directory (file mode 0600).
std::string stored_token(const TempDir& dir, const std::string& user) {
  const auto file = dir / user / "resume-tokens";
  if (!std::filesystem::exists(file)) return {};
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  const std::string text = read_text(file);
  const auto space = text.find(' ');
  return space == std::string::npos ? "" : text.substr(space + 1, 64);
}

}  // namespace

TEST_CASE(
    "engine: after a restart the peer resumes with its token; a refused token falls back to the password") {
  Fixture f;
  auto alice = f.log_in("alice");
  const std::string first = stored_token(f.dir, "alice");
  REQUIRE(first.size() == 64);
  const auto port = f.server.port();
  const auto back_count = [&] {
    return alice->all<ev::Server>().size();  // lost, back, lost, back...
  };
  SUBCASE("resumed: the same token goes on (a password login would have brought a new one)") {
    TestServer restarted(f.server, [port](server::ServerConfig& c) { c.port = port; });
    REQUIRE(f.run_until([&] { return back_count() == 2 && alice->all<ev::Server>().back().up; }, 30s));
    CHECK(stored_token(f.dir, "alice") == first);
    CHECK(f.execute(*alice, "whoelse"));
  }
  SUBCASE("refused: logged in with the password, and a new token kept") {
    f.server.on_server([](server::Server& s) { s.forget_tokens(s.tokens().revoke_user("alice")); });
    TestServer restarted(f.server, [port](server::ServerConfig& c) { c.port = port; });
    REQUIRE(f.run_until([&] { return back_count() == 2 && alice->all<ev::Server>().back().up; }, 30s));
    const std::string second = stored_token(f.dir, "alice");
    CHECK(second.size() == 64);
    CHECK(second != first);
    CHECK_FALSE(alice->has<ev::Error>());
  }
}
