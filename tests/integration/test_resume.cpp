// Session resumption with a real server: a token from the login resumes after a dropped
// connection or a restart without the password, and is refused once logged out, expired,
// revoked by the operator, presented by another user or outlived by a password change.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "shared/util/hex.hpp"
#include "shared/util/time.hpp"
#include "tests/integration/harness.hpp"

using namespace parley;
using namespace parley::test;
using wire::Status;

namespace {

// Logs `user` in with the password; returns the resumption token it was given.
std::string token_for(TestClient& client, const std::string& user) {
  REQUIRE(client.connect() == "");
  auto result = client.login(user, user + "123");
  REQUIRE(result.status == Status::ok);
  REQUIRE(result.resume_token.size() == 64);
  return result.resume_token;
}

wire::LoginResult resume(TestClient& client, const std::string& user, const std::string& token) {
  auto reply = client.call(wire::Resume{0, user, token, {}});
  REQUIRE(reply);
  REQUIRE(std::holds_alternative<wire::LoginResult>(*reply));
  return std::get<wire::LoginResult>(*reply);
}

wire::LoginResult resume_on_new(std::uint16_t port, const std::string& user, const std::string& token) {
  TestClient client(port);
  REQUIRE(client.connect() == "");
  return resume(client, user, token);
}

auto presence_of(const std::string& user) {
  return [user](const wire::Message& m) {
    auto* p = std::get_if<wire::PresenceEvent>(&m);
    return p && p->user == user;
  };
}

// Time passes on the server: whoever dropped more than a minute ago is announced gone.
void pass_the_grace(TestServer& server) {
  server.on_server(
      [](server::Server& s) { s.apply(s.registry().announce_departures(now_ms() + 60'000), 0); });
}

// Until the server has noticed that `user`'s connection is gone (bounded round trips).
void wait_gone(TestClient& observer, const std::string& user) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto who = observer.call(wire::WhoElse{});
    REQUIRE(who);
    const auto& users = std::get<wire::UserList>(*who).users;
    if (std::find(users.begin(), users.end(), user) == users.end()) return;
  }
  FAIL("the server never noticed that " << user << " left");
}

std::string everything_in(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), {});
  }
  return all;
}

}  // namespace

TEST_CASE("resume after a dropped connection: no password, no presence flap, the mailbox follows") {
  TestServer server;
  TestClient bob(server.port());
  bob.sign_in("bob");
  std::string token;
  {
    TestClient alice(server.port());
    token = token_for(alice, "alice");
    REQUIRE(bob.wait_event(presence_of("alice")));
    alice.disconnect();
  }
  wait_gone(bob, "alice");
  // While alice is away, bob's message waits in her mailbox.
  auto sent = bob.call(wire::SendMessage{0, random_id(), {"alice"}, "while you were away"});
  REQUIRE(sent);
  TestClient again(server.port());
  REQUIRE(again.connect() == "");
  auto result = resume(again, "alice", token);
  CHECK(result.status == Status::ok);
  CHECK(result.user == "alice");
  CHECK(result.resume_token.empty());  // the same token goes on
  auto mail = again.wait<wire::ChatEvent>();
  REQUIRE(mail);
  CHECK(mail->text == "while you were away");
  // Logged in: commands work as after a password login.
  auto who = again.call(wire::WhoElse{});
  REQUIRE(who);
  CHECK(std::get<wire::UserList>(*who).users == std::vector<std::string>{"bob"});
  pass_the_grace(server);
  bob.call(wire::Ping{});  // a round trip: anything the server sent bob is in by now
  CHECK(bob.none_pending(presence_of("alice")));
}

TEST_CASE("resume takes over a session the server still thinks alive, silently") {
  TestServer server;
  TestClient bob(server.port());
  bob.sign_in("bob");
  TestClient stale(server.port());
  const std::string token = token_for(stale, "alice");
  REQUIRE(bob.wait_event(presence_of("alice")));
  TestClient fresh(server.port());
  REQUIRE(fresh.connect() == "");
  CHECK(resume(fresh, "alice", token).status == Status::ok);
  auto told = stale.wait<wire::LoggedOut>();
  REQUIRE(told);
  CHECK_FALSE(told->temporary);
  CHECK(stale.wait_closed());
  auto chat = bob.call(wire::SendMessage{0, random_id(), {"alice"}, "to the new one"});
  REQUIRE(chat);
  auto got = fresh.wait<wire::ChatEvent>();
  REQUIRE(got);
  CHECK(got->text == "to the new one");
  pass_the_grace(server);
  bob.call(wire::Ping{});
  CHECK(bob.none_pending(presence_of("alice")));
}

TEST_CASE("resume after a server restart; only the token's hash is stored") {
  TestServer server;
  std::string token;
  {
    TestClient alice(server.port());
    token = token_for(alice, "alice");
  }
  TestServer restarted(server);
  CHECK(resume_on_new(restarted.port(), "alice", token).status == Status::ok);
  restarted.on_server([](server::Server& s) { s.store().flush(); });
  const std::string stored = everything_in(restarted.data_dir());
  CHECK(stored.find(token) == std::string::npos);
  auto raw = from_hex(token);
  REQUIRE(raw);
  CHECK(stored.find(std::string(raw->begin(), raw->end())) == std::string::npos);
}

TEST_CASE("a token replayed after logout is refused, even after a restart") {
  TestServer server;
  std::string token;
  {
    TestClient alice(server.port());
    token = token_for(alice, "alice");
    alice.send(wire::Logout{1});
    REQUIRE(alice.wait<wire::LoggedOut>());
  }
  auto refused = resume_on_new(server.port(), "alice", token);
  CHECK(refused.status == Status::token_refused);
  CHECK(refused.resume_token.empty());
  TestServer restarted(server);
  CHECK(resume_on_new(restarted.port(), "alice", token).status == Status::token_refused);
}

TEST_CASE("refusals: expired, another user's, unknown, kicked; none locks, none names an account") {
  SUBCASE("expired") {
    TestServer server([](auto& c) { c.token_lifetime = std::chrono::seconds(0); });
    TestClient alice(server.port());
    const std::string token = token_for(alice, "alice");
    alice.disconnect();
    CHECK(resume_on_new(server.port(), "alice", token).status == Status::token_refused);
  }
  SUBCASE("another user's token is refused, and is then dead for its owner too") {
    TestServer server;
    TestClient alice(server.port());
    const std::string token = token_for(alice, "alice");
    alice.disconnect();
    auto as_bob = resume_on_new(server.port(), "bob", token);
    CHECK(as_bob.status == Status::token_refused);
    auto as_nobody = resume_on_new(server.port(), "zed", token);
    CHECK(as_nobody.status == Status::token_refused);
    auto garbage = resume_on_new(server.port(), "carol", std::string(64, 'f'));
    // One message for every case: a refused resume is no oracle for names.
    CHECK(as_bob.message == as_nobody.message);
    CHECK(as_bob.message == garbage.message);
    CHECK(resume_on_new(server.port(), "alice", token).status == Status::token_refused);
    // Many refusals count toward no lockout.
    TestClient c(server.port());
    REQUIRE(c.connect() == "");
    for (int i = 0; i < 5; ++i)
      CHECK(resume(c, "carol", std::string(64, 'a')).status == Status::token_refused);
    CHECK(c.login("carol", "carol123").status == Status::ok);
  }
  SUBCASE("the operator's kick revokes") {
    TestServer server;
    TestClient alice(server.port());
    const std::string token = token_for(alice, "alice");
    bool kicked = false;
    server.on_server([&](server::Server& s) { kicked = s.kick("alice", "bye"); });
    REQUIRE(kicked);
    REQUIRE(alice.wait<wire::LoggedOut>());
    CHECK(resume_on_new(server.port(), "alice", token).status == Status::token_refused);
  }
}

TEST_CASE("a password change in the credentials file revokes the tokens issued before") {
  TestServer server;
  std::string alices, bobs;
  {
    TestClient alice(server.port());
    alices = token_for(alice, "alice");
    TestClient bob(server.port());
    bobs = token_for(bob, "bob");
  }
  const auto credentials = server.data_dir().parent_path() / "credentials.txt";
  write_text(credentials, "alice a-new-password\nbob bob123\ncarol carol123\n");
  TestServer restarted(server);
  CHECK(resume_on_new(restarted.port(), "alice", alices).status == Status::token_refused);
  CHECK(resume_on_new(restarted.port(), "bob", bobs).status == Status::ok);
  TestClient alice(restarted.port());
  REQUIRE(alice.connect() == "");
  CHECK(alice.login("alice", "a-new-password").status == Status::ok);
}
