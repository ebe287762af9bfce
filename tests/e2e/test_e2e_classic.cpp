// End to end for the classic chat-room conveniences: slash aliases and /ping, open
// sign-up with reserved names, the operator console, and graceful shutdown.
#include <doctest/doctest.h>

#include <csignal>

#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string error_of(Peer& peer, const std::string& line) {
  peer->write_line(line);
  auto e = peer->wait_type("error");
  REQUIRE_MESSAGE(e, line);
  return (*e)["message"].get<std::string>();
}

// The next line the server prints on stdout (console answers), or "" on timeout.
std::string server_says(ServerProcess& server) { return server.process->read_line(10s).value_or(""); }

}  // namespace

TEST_CASE("e2e classic: slash aliases, /users and /ping") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice(dir, server.port, "alice", "alice123"), bob(dir, server.port, "bob", "bob123");
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));

  alice->write_line("/all hello room");
  auto b = bob->wait_type("broadcast");
  REQUIRE(b);
  CHECK((*b)["text"] == "hello room");
  alice->write_line("/whisper bob psst");
  auto m = bob->wait_type("message");
  REQUIRE(m);
  CHECK((*m)["from"] == "alice");
  CHECK((*m)["text"] == "psst");
  bob->write_line("/reply got it");
  auto r = alice->wait_type("message");
  REQUIRE(r);
  CHECK((*r)["text"] == "got it");

  alice->write_line("/users");
  auto users = alice->wait_type("users");
  REQUIRE(users);
  CHECK((*users)["command"] == "users");
  CHECK((*users)["users"] == json::array({"alice", "bob"}));  // everyone, you included

  alice->write_line("/ping");
  auto pong = alice->wait_type("pong");
  REQUIRE(pong);
  CHECK((*pong)["ms"].get<double>() >= 0);
  CHECK((*pong)["ms"].get<double>() < 1000);

  CHECK(error_of(alice, "/all") == "usage: all <text>");
  CHECK(error_of(alice, "/whisper bob") == "usage: whisper <user> <text>");
  CHECK(error_of(alice, "/whisper zed hi") == "unknown user 'zed'");
  CHECK(error_of(alice, "/whisper alice hi") == "you cannot message yourself");
  CHECK(error_of(alice, "/ping now") == "usage: ping");
  alice->write_line("/help");
  auto help = alice->wait_type("help");
  REQUIRE(help);
  CHECK((*help)["text"].get<std::string>().find("whisper <user> <text>") != std::string::npos);

  bob->write_line("/quit");
  REQUIRE(bob->wait_type("logout"));
  CHECK(bob->wait_exit() == 0);
  alice->write_line("/disconnect");
  REQUIRE(alice->wait_type("logout"));
  CHECK(alice->wait_exit() == 0);
}

TEST_CASE("e2e classic: sign-up creates a durable account; reserved and taken names are refused") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  {
    ServerProcess closed(dir);
    Peer stranger(dir, closed.port, "newbie", "longpassword", {"--sign-up"});
    auto e = stranger->wait_type("error");
    REQUIRE(e);
    CHECK((*e)["message"] == "unknown user 'newbie'");  // without --allow-signup, as before
    CHECK(stranger->wait_exit() == 1);
  }
  {
    ServerProcess server(dir, {"--allow-signup"});
    {
      Peer shy(dir, server.port, "newbie", "longpassword");  // no --sign-up: told how
      auto e = shy->wait_type("error");
      REQUIRE(e);
      CHECK((*e)["message"].get<std::string>().find("--sign-up") != std::string::npos);
      CHECK(shy->wait_exit() == 1);
    }
    auto refused = [&](const std::string& user, const std::string& password) {
      Peer p(dir, server.port, user, password, {"--sign-up"});
      auto e = p->wait_type("error");
      REQUIRE_MESSAGE(e, user);
      CHECK(p->wait_exit() == 1);
      return (*e)["message"].get<std::string>();
    };
    CHECK(refused("ADMIN", "longpassword").find("reserved") != std::string::npos);
    CHECK(refused("Moderator", "longpassword").find("reserved") != std::string::npos);
    CHECK(refused("Alice", "longpassword").find("taken") != std::string::npos);
    CHECK(refused("newbie", "short").find("at least 8") != std::string::npos);

    Peer newbie(dir, server.port, "newbie", "longpassword", {"--sign-up"});
    auto created = newbie->wait_json([](const json& j) { return j.value("created", false); });
    REQUIRE(created);
    REQUIRE(newbie->wait_type("login"));
    CHECK(refused("NEWBIE", "longpassword").find("taken") != std::string::npos);
    newbie->close_stdin();
    CHECK(newbie->wait_exit() == 0);
  }
  // After a restart the account is still there, with its password (hashed in the database,
  // not in the credentials file).
  ServerProcess restarted(dir, {"--allow-signup"});
  {
    Peer back(dir, restarted.port, "newbie", "longpassword");
    REQUIRE(back->wait_type("login"));
    back->close_stdin();
    REQUIRE(back->wait_exit() == 0);
  }
  Peer wrong(dir, restarted.port, "newbie", "not-the-password");
  auto e = wrong->wait_type("error");
  REQUIRE(e);
  CHECK((*e)["message"].get<std::string>().find("wrong password") != std::string::npos);
  CHECK(read_text(dir / "credentials.txt") == kAccounts);
  // The database keeps a salted scrypt hash, never the password.
  std::string db;
  for (const char* file : {"parley.db", "parley.db-wal"}) db += read_text(dir / "server-data" / file);
  CHECK(db.find("$scrypt$") != std::string::npos);
  CHECK(db.find("longpassword") == std::string::npos);
}

TEST_CASE("e2e classic: the operator console, driven through a pipe") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir, {"--console"});
  Peer alice(dir, server.port, "alice", "alice123");
  REQUIRE(alice->wait_type("login"));
  Peer bob(dir, server.port, "bob", "bob123");
  REQUIRE(bob->wait_type("login"));
  // alice has seen bob arrive, so his going is news to her (had he been kicked before
  // her peer learned who was online, she would rightly never hear of him).
  REQUIRE(alice->wait_json([](const json& j) { return is(j, "presence") && j["online"] == true; }));

  server.process->write_line("users");
  CHECK(server_says(server) == "2 online:");
  CHECK(server_says(server).find("  alice since 20") == 0);
  CHECK(server_says(server).find("  bob since 20") == 0);

  server.process->write_line("say maintenance at six");
  CHECK(server_says(server) == "announced to 2 users");
  for (Peer* p : {&alice, &bob}) {
    auto a = (*p)->wait_type("announcement");
    REQUIRE(a);
    CHECK((*a)["text"] == "maintenance at six");
  }

  server.process->write_line("kick bob being rude");
  CHECK(server_says(server) == "kicked bob");
  auto out = bob->wait_type("logout");
  REQUIRE(out);
  CHECK((*out)["reason"] == "kicked by the operator: being rude");
  CHECK((*out)["can_log_in"] == true);  // the program stays; end of input leaves
  bob->close_stdin();
  CHECK(bob->wait_exit() == 0);
  auto gone = alice->wait_json([](const json& j) { return is(j, "presence") && j["online"] == false; });
  REQUIRE(gone);
  CHECK((*gone)["user"] == "bob");

  server.process->write_line("kick bob");
  CHECK(server_says(server) == "error: bob is not online");
  server.process->write_line("reboot");
  CHECK(server_says(server) == "error: unknown command 'reboot' (type help)");
  server.process->write_line("help");
  CHECK(server_says(server).rfind("users ", 0) == 0);
  for (int i = 0; i < 4; ++i) server_says(server);  // the rest of the help

  server.process->write_line("shutdown");
  CHECK(server.process->wait_exit(5s) == 0);  // within 5 s of the command
  auto lost = alice->wait_type("server");
  REQUIRE(lost);
  CHECK((*lost)["state"] == "lost");
}

TEST_CASE("e2e classic: SIGTERM shuts down gracefully; no offline message is lost and peers are told") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  std::uint16_t port = 0;
  {
    ServerProcess server(dir);
    port = server.port;
    Peer alice(dir, server.port, "alice", "alice123");
    REQUIRE(alice->wait_type("login"));
    alice->write_line("message carol kept for you");
    auto stored = alice->wait_json([](const json& j) { return j.value("status", "") == "stored"; });
    REQUIRE(stored);
    server.process->signal(SIGTERM);
    CHECK(server.process->wait_exit(5s) == 0);  // within 5 s of the signal
    auto lost = alice->wait_type("server");
    REQUIRE(lost);
    CHECK((*lost)["state"] == "lost");
  }
  ServerProcess restarted(dir, {}, port);
  Peer carol(dir, restarted.port, "carol", "carol123");
  auto m = carol->wait_type("message");
  REQUIRE(m);
  CHECK((*m)["text"] == "kept for you");
  CHECK((*m)["offline"] == true);
}
