// End to end: the built parley-server and parley-peer binaries, driven through pipes in
// scripted --json mode, exactly as a user's script would.
#include <doctest/doctest.h>

#include <csignal>
#include <regex>
#include <sstream>
#include <thread>

#include "shared/wire/limits.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley::test;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("e2e: scripted login from stdin, messages, whoelse, logout at end of input") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer bob(dir, server.port, "bob", "bob123");
  REQUIRE(bob->wait_type("login"));

  // alice gives her credentials as the first two lines of stdin.
  Process alice(
      binary("PARLEY_PEER_BIN"),
      {"127.0.0.1", std::to_string(server.port), "--json", "--data-dir", (dir / "peer-alice").string()},
      dir / "peer-alice.log");
  alice.write_line("alice");
  alice.write_line("alice123");
  auto login = alice.wait_type("login");
  REQUIRE(login);
  CHECK((*login)["user"] == "alice");
  auto presence = bob->wait_type("presence");
  REQUIRE(presence);
  CHECK((*presence)["user"] == "alice");
  CHECK((*presence)["online"] == true);

  alice.write_line("message bob hello  there");
  auto got = bob->wait_type("message");
  REQUIRE(got);
  CHECK((*got)["from"] == "alice");
  CHECK((*got)["text"] == "hello  there");
  CHECK((*got)["offline"] == false);
  CHECK((*got)["time"].get<std::string>().size() == 24);  // 2026-11-21T18:50:07.123Z

  alice.write_line("/whoelse");
  auto users = alice.wait_type("users");
  REQUIRE(users);
  CHECK((*users)["command"] == "whoelse");
  CHECK((*users)["users"] == json::array({"bob"}));

  alice.write_line("mesage bob typo");
  auto error = alice.wait_type("error");
  REQUIRE(error);
  CHECK((*error)["message"].get<std::string>().find("did you mean message") != std::string::npos);

  alice.close_stdin();  // end of input: a clean logout
  REQUIRE(alice.wait_type("logout"));
  CHECK(alice.wait_exit() == 0);
  auto gone = bob->wait_type("presence");
  REQUIRE(gone);
  CHECK((*gone)["online"] == false);
}

TEST_CASE("e2e: three wrong passwords lock the account; the lock expires") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir, {"--block-duration", "2"});
  for (int i = 1; i <= 3; ++i) {
    Peer wrong(dir, server.port, "alice", "nope");
    auto error = wrong->wait_type("error");
    REQUIRE(error);
    CHECK((*error)["command"] == "login");
    if (i < 3) CHECK((*error)["message"].get<std::string>().find("wrong password") != std::string::npos);
    if (i == 3) CHECK((*error)["message"].get<std::string>().find("locked") != std::string::npos);
    CHECK(wrong->wait_exit() == 1);
  }
  Peer locked(dir, server.port, "alice", "alice123");
  auto error = locked->wait_type("error");
  REQUIRE(error);
  std::smatch m;
  std::string text = (*error)["message"];
  REQUIRE(std::regex_search(text, m, std::regex(R"(try again in (\d+) s)")));
  int remaining = std::stoi(m[1]);
  CHECK(remaining >= 1);
  CHECK(remaining <= 2);
  CHECK(locked->wait_exit() == 1);
  // Wait out exactly the time the server announced, then log in.
  std::this_thread::sleep_for(std::chrono::seconds(remaining));
  Peer later(dir, server.port, "alice", "alice123");
  CHECK(later->wait_type("login"));
}

TEST_CASE("e2e: an offline message survives SIGKILL of the server right after it was acknowledged") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  auto server = std::make_unique<ServerProcess>(dir);
  {
    Peer alice(dir, server->port, "alice", "alice123");
    REQUIRE(alice->wait_type("login"));
    alice->write_line("message bob are you there?");
    auto stored = alice->wait_json([](const json& j) { return j.contains("status"); });
    REQUIRE(stored);
    CHECK((*stored)["status"] == "stored");
    server->process->signal(SIGKILL);  // the instant the sender was told
    CHECK(server->process->wait_exit() == 128 + SIGKILL);
  }
  server = std::make_unique<ServerProcess>(dir);
  Peer bob(dir, server->port, "bob", "bob123");
  auto got = bob->wait_type("message");
  REQUIRE(got);
  CHECK((*got)["from"] == "alice");
  CHECK((*got)["text"] == "are you there?");
  CHECK((*got)["offline"] == true);
}

TEST_CASE("e2e: blocking hides presence and refuses messages, and survives a restart") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  auto server = std::make_unique<ServerProcess>(dir);
  {
    Peer alice(dir, server->port, "alice", "alice123");
    REQUIRE(alice->wait_type("login"));
    alice->write_line("block bob");
    auto info = alice->wait_json(
        [](const json& j) { return is(j, "info") && !j.contains("p2p") && !j.contains("reachable"); });
    REQUIRE(info);
    CHECK((*info)["message"] == "bob is blocked");
    alice->close_stdin();
    CHECK(alice->wait_exit() == 0);
  }
  server->process->signal(SIGTERM);
  server->process->wait_exit();
  server = std::make_unique<ServerProcess>(dir);

  Peer bob(dir, server->port, "bob", "bob123");
  REQUIRE(bob->wait_type("login"));
  Peer carol(dir, server->port, "carol", "carol123");
  REQUIRE(carol->wait_type("login"));
  Peer alice(dir, server->port, "alice", "alice123");
  REQUIRE(alice->wait_type("login"));
  // carol sees alice arrive; bob, blocked by alice, does not.
  REQUIRE(carol->wait_json([](const json& j) { return is(j, "presence") && j["user"] == "alice"; }));
  bob->write_line("message alice hi");
  auto refused = bob->wait_type("error");
  REQUIRE(refused);
  CHECK((*refused)["message"].get<std::string>().find("blocked") != std::string::npos);
  bob->write_line("whoelse");
  auto users = bob->wait_type("users");
  REQUIRE(users);
  CHECK((*users)["users"] == json::array({"carol"}));
  for (const auto& line : bob->seen()) {
    auto j = json::parse(line, nullptr, false);
    CHECK_FALSE((is(j, "presence") && j["user"] == "alice"));
  }
}

TEST_CASE("e2e: an inactive user is logged out and told why") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir, {"--timeout", "1"});
  Peer alice(dir, server.port, "alice", "alice123");
  REQUIRE(alice->wait_type("login"));
  auto logout = alice->wait_type("logout", 10s);
  REQUIRE(logout);
  CHECK((*logout)["reason"].get<std::string>().find("inactivity") != std::string::npos);
  // The program stays, ready to log back in (`login`); end of input leaves.
  alice->close_stdin();
  CHECK(alice->wait_exit() == 0);
}

TEST_CASE("e2e: the peer pins the server fingerprint and refuses a changed one") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  std::string first_fingerprint;
  std::uint16_t port = 0;
  {
    ServerProcess server(dir);
    first_fingerprint = server.fingerprint;
    port = server.port;
    Peer alice(dir, server.port, "alice", "alice123");
    auto pinned = alice->wait_type("info");
    REQUIRE(pinned);
    CHECK((*pinned)["message"].get<std::string>().find("pinned") != std::string::npos);
    REQUIRE(alice->wait_type("login"));
    alice->close_stdin();
    alice->wait_exit();
  }
  // A new server identity on the same address (a reinstall, or an impostor).
  std::filesystem::remove(dir / "server-data" / "server.crt");
  std::filesystem::remove(dir / "server-data" / "server.key");
  ServerProcess impostor(dir, {}, port);
  REQUIRE(impostor.fingerprint != first_fingerprint);
  Peer alice(dir, impostor.port, "alice", "alice123");
  auto error = alice->wait_type("error");
  REQUIRE(error);
  INFO("error event: " << error->dump());
  INFO("peer log: " << alice->stderr_text());
  CHECK((*error)["message"].get<std::string>().find("CHANGED") != std::string::npos);
  CHECK(alice->wait_exit() == 1);
  // Pinning the new fingerprint explicitly is the way through.
  Peer explicit_pin(dir, impostor.port, "alice", "alice123", {"--server-fingerprint", impostor.fingerprint});
  CHECK(explicit_pin->wait_type("login"));
}

TEST_CASE("e2e: garbage and oversized frames from a raw TLS client do not disturb logged-in users") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice(dir, server.port, "alice", "alice123");
  Peer bob(dir, server.port, "bob", "bob123");
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));
  {
    RawTlsClient oversized(server.port);
    REQUIRE(oversized.handshake());
    oversized.write(std::vector<std::uint8_t>{0xff, 0xff, 0xff, 0xff, 0, 0});
    CHECK(oversized.wait_closed());
    RawTlsClient garbage(server.port);
    REQUIRE(garbage.handshake());
    garbage.write(std::vector<std::uint8_t>{0, 0, 0, 8, 9, 9, 9, 9, 9, 9, 9, 9});
    CHECK(garbage.wait_closed());
  }
  alice->write_line("message bob still fine");
  auto got = bob->wait_type("message");
  REQUIRE(got);
  CHECK((*got)["text"] == "still fine");
  CHECK(server.process->stderr_text().find("protocol error") != std::string::npos);
}

TEST_CASE("e2e: a newline in a user name cannot forge a line in the server's log") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  // A name fits 32 bytes: enough to start a line that looks like the server's own.
  const std::string name = "m\n2030-01-01T00:00:00.000 info";
  REQUIRE(name.size() <= parley::wire::kMaxUsername);
  {
    RawTlsClient raw(server.port);
    REQUIRE(raw.handshake());
    raw.write(parley::wire::Hello{parley::wire::kProtocolVersion, "raw"});
    REQUIRE(raw.read());  // Welcome
    raw.write(parley::wire::Login{1, name, "x", {}, false});
    const auto reply = raw.read();
    REQUIRE(reply);
    CHECK(std::get<parley::wire::LoginResult>(*reply).status != parley::wire::Status::ok);
  }
  // Stopped, so every line it was going to write about that login is in the log.
  server.process->signal(SIGTERM);
  REQUIRE(server.process->wait_exit());
  const std::string log = server.process->stderr_text();
  INFO("server log: " << log);
  CHECK(log.find("'m\\n2030-01-01T00:00:00.000 info'") != std::string::npos);
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) CHECK_FALSE(line.starts_with("2030-01-01"));
}
