// End to end for the peer's front ends (issue 13): scripts that wait for downloads, the
// idle warning and logging back in, commands in any case, own messages and actions.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The index of the first line of type `type` that `peer` printed so far (the lines waited
// through and the one waited for), or -1.
int index_of(Peer& peer, const std::string& type) {
  int i = 0;
  for (const auto& line : peer->seen()) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && is(j, type)) return i;
    ++i;
  }
  return -1;
}

struct TwoSharers {
  TwoSharers()
      : server(accounts(dir)),
        alice(sharer(dir, server.port, "alice")),
        bob(sharer(dir, server.port, "bob")) {
    REQUIRE(alice->wait_type("login"));
    REQUIRE(bob->wait_type("login"));
    std::string content(3 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 131 % 251);
    write_text(dir / "share-alice" / "data.bin", content);
    alice->write_line("register data.bin 12");
    REQUIRE(alice->wait_type("registered", 60s));
  }
  static const TempDir& accounts(const TempDir& d) {
    write_text(d / "credentials.txt", kAccounts);
    return d;
  }
  TempDir dir;
  ServerProcess server;
  Peer alice, bob;
};

}  // namespace

TEST_CASE("e2e: a script that ends right after download still gets the file before logging out") {
  TwoSharers t;
  t.bob->write_line("download data.bin");
  t.bob->close_stdin();
  REQUIRE(t.bob->wait_type("downloaded", 60s));
  CHECK(index_of(t.bob, "logout") < 0);  // nothing said logout before the download ended
  REQUIRE(t.bob->wait_type("logout"));
  CHECK(t.bob->wait_exit() == 0);
  CHECK(std::filesystem::file_size(t.dir / "dl-bob" / "data.bin") == 3u * 1024 * 1024);
}

TEST_CASE("e2e: wait returns once running downloads are done, and the script goes on") {
  TwoSharers t;
  t.bob->write_line("download data.bin");
  t.bob->write_line("wait");
  t.bob->write_line("ping");
  REQUIRE(t.bob->wait_type("pong", 60s));
  CHECK(index_of(t.bob, "downloaded") >= 0);
  CHECK(index_of(t.bob, "downloaded") < index_of(t.bob, "pong"));
}

TEST_CASE("e2e: download of an unknown file says so at once, and nothing is downloading") {
  TwoSharers t;
  t.bob->write_line("download nothing.bin");
  auto error = t.bob->wait_type("error");
  REQUIRE(error);
  CHECK((*error)["command"] == "download");
  for (const auto& line : t.bob->seen()) CHECK(line.find("in the background") == std::string::npos);
}

TEST_CASE("e2e: command names are case-insensitive") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice(dir, server.port, "alice", "alice123");
  REQUIRE(alice->wait_type("login"));
  alice->write_line("WHOELSE");
  auto users = alice->wait_type("users");
  REQUIRE(users);
  CHECK((*users)["command"] == "whoelse");
  alice->write_line("SearchFile nothing.bin");
  auto error = alice->wait_type("error");
  REQUIRE(error);
  CHECK((*error)["command"] == "searchFile");
}

TEST_CASE("e2e: an idle user is warned, logged out, and logs back in with login") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir, {"--timeout", "4"});
  Peer alice(dir, server.port, "alice", "alice123");
  REQUIRE(alice->wait_type("login"));
  auto warning = alice->wait_json([](const json& j) { return j.contains("idle_logout_in"); }, 10s);
  REQUIRE(warning);
  CHECK((*warning)["idle_logout_in"].get<int>() >= 1);
  auto logout = alice->wait_type("logout", 10s);
  REQUIRE(logout);
  CHECK((*logout)["reason"].get<std::string>().find("inactivity") != std::string::npos);
  CHECK((*logout)["can_log_in"] == true);
  alice->write_line("login");
  REQUIRE(alice->wait_type("login", 10s));
  alice->write_line("whoelse");
  REQUIRE(alice->wait_type("users"));
  alice->close_stdin();
  CHECK(alice->wait_exit() == 0);
}

TEST_CASE("e2e: /me is an action, and its receiver sees it flagged") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice(dir, server.port, "alice", "alice123");
  Peer bob(dir, server.port, "bob", "bob123");
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));
  bob->write_line("/me waves");  // nobody to act to yet
  REQUIRE(bob->wait_type("error"));
  alice->write_line("message bob hi");
  REQUIRE(bob->wait_type("message"));
  bob->write_line("/me waves");
  auto action = alice->wait_type("message");
  REQUIRE(action);
  CHECK((*action)["text"] == "waves");
  CHECK((*action)["action"] == true);
}

TEST_CASE(
    "e2e: a message typed while the server is down waits on disk and goes out once, after the sender's "
    "restart") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  auto server = std::make_unique<ServerProcess>(dir);
  const auto port = server->port;
  std::optional<json> queued_id;
  {
    Peer alice(dir, port, "alice", "alice123");
    REQUIRE(alice->wait_type("login"));
    server->process->signal(SIGKILL);
    REQUIRE(server->process->wait_exit());
    REQUIRE(alice->wait_json([](const json& j) { return is(j, "server") && j["state"] == "lost"; }));
    alice->write_line("message bob see you later");
    auto queued =
        alice->wait_json([](const json& j) { return is(j, "message") && j.value("state", "") == "queued"; });
    REQUIRE(queued);
    CHECK((*queued)["mine"] == true);
    queued_id = (*queued)["id"];
    alice->close_stdin();
    REQUIRE(alice->wait_exit() == 0);
  }
  server = std::make_unique<ServerProcess>(dir, std::vector<std::string>{}, port);
  Peer alice(dir, port, "alice", "alice123");  // the same data directory: the same outbox
  REQUIRE(alice->wait_type("login"));
  auto stored =
      alice->wait_json([](const json& j) { return is(j, "info") && j.value("status", "") == "stored"; });
  REQUIRE(stored);
  CHECK((*stored)["user"] == "bob");
  auto receipt = alice->wait_type("receipt");
  REQUIRE(receipt);
  CHECK((*receipt)["to"] == "bob");
  CHECK((*receipt)["state"] == "stored");
  CHECK((*receipt)["id"] == (*queued_id));
  Peer bob(dir, port, "bob", "bob123");
  auto message = bob->wait_type("message");
  REQUIRE(message);
  CHECK((*message)["text"] == "see you later");
  bob->write_line("ping");
  REQUIRE(bob->wait_type("pong"));
  int messages = 0;  // every line bob printed up to the pong: the message came once
  for (const auto& line : bob->seen()) messages += is(json::parse(line, nullptr, false), "message") ? 1 : 0;
  CHECK(messages == 1);
}

TEST_CASE(
    "e2e: a private message the other peer never acknowledged is said not delivered, or with --fallback sent "
    "through the server") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir, {"--dead-peer-timeout", "3"});
  for (const bool fallback : {false, true}) {
    CAPTURE(fallback);
    std::vector<std::string> flags;
    if (fallback) flags.push_back("--fallback");
    Peer alice(dir, server.port, "alice", "alice123", flags);
    auto bob = std::make_unique<Peer>(dir, server.port, "bob", "bob123");
    REQUIRE(alice->wait_type("login"));
    REQUIRE((*bob)->wait_type("login"));
    alice->write_line("startprivate bob");
    const auto link_open = [](const json& j) { return is(j, "link") && j["state"] == "open"; };
    REQUIRE(alice->wait_json(link_open));
    REQUIRE((*bob)->wait_json(link_open));
    // Frozen, bob neither acknowledges nor answers heartbeats: alice's peer gives up on the
    // message after its acknowledgement timeout, and the server drops bob's session.
    (*bob)->signal(SIGSTOP);
    alice->write_line("private bob are you there?");
    if (!fallback) {
      auto error = alice->wait_type("error", 30s);
      (*bob)->signal(SIGKILL);
      REQUIRE(error);
      CHECK((*error)["message"].get<std::string>().find("not delivered") != std::string::npos);
      CHECK((*error)["message"].get<std::string>().find("message bob are you there?") != std::string::npos);
      alice->close_stdin();
      CHECK(alice->wait_exit() == 0);
      bob.reset();
      continue;
    }
    auto notice = alice->wait_json([](const json& j) { return j.value("fallback", false); }, 30s);
    (*bob)->signal(SIGKILL);
    (*bob)->wait_exit();
    REQUIRE(notice);
    REQUIRE(alice->wait_json([](const json& j) { return is(j, "info") && j.value("user", "") == "bob"; }));
    bob = std::make_unique<Peer>(dir, server.port, "bob", "bob123");  // back, after the server noticed
    auto message = (*bob)->wait_type("message", 30s);
    REQUIRE(message);
    CHECK((*message)["text"] == "are you there?");
  }
}

TEST_CASE(
    "e2e: a message the server never answered (frozen, then killed) goes out again, once, after both "
    "restarts") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  const std::vector<std::string> quick_to_notice{"--dead-peer-timeout", "3"};
  auto server = std::make_unique<ServerProcess>(dir, quick_to_notice);
  const auto port = server->port;
  {
    Peer alice(dir, port, "alice", "alice123");
    REQUIRE(alice->wait_type("login"));
    server->process->signal(SIGSTOP);  // takes the bytes, never answers
    alice->write_line("message bob did this arrive?");
    // Alice's peer sees the server stopped answering: the message is still waiting.
    auto queued = alice->wait_json(
        [](const json& j) { return is(j, "message") && j.value("state", "") == "queued"; }, 30s);
    REQUIRE(queued);
    CHECK((*queued)["text"] == "did this arrive?");
    alice->signal(SIGKILL);
    alice->wait_exit();
  }
  server->process->signal(SIGKILL);
  REQUIRE(server->process->wait_exit());
  server = std::make_unique<ServerProcess>(dir, quick_to_notice, port);
  Peer alice(dir, port, "alice", "alice123");
  REQUIRE(alice->wait_type("login"));
  auto receipt = alice->wait_type("receipt");
  REQUIRE(receipt);
  CHECK((*receipt)["to"] == "bob");
  CHECK((*receipt)["state"] == "stored");
  Peer bob(dir, port, "bob", "bob123");
  auto message = bob->wait_type("message");
  REQUIRE(message);
  CHECK((*message)["text"] == "did this arrive?");
  bob->write_line("ping");
  REQUIRE(bob->wait_type("pong"));
  int messages = 0;
  for (const auto& line : bob->seen()) messages += is(json::parse(line, nullptr, false), "message") ? 1 : 0;
  CHECK(messages == 1);
  alice->write_line("history bob");
  auto history = alice->wait_type("history");
  REQUIRE(history);
  REQUIRE((*history)["messages"].size() == 1);
  // Stored until bob's peer acknowledged it; a protocol 6 server then sends the receipt.
  const std::string state = (*history)["messages"][0]["state"];
  CHECK((state == "stored" || state == "delivered"));
}
