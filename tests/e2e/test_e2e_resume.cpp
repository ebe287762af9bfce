// End to end for session resumption (issue 14) and "busy is temporary" (issue 17): peers
// come back by themselves after an ordinary SIGTERM restart, resuming with their tokens,
// without asking anything, all of them, even with hashed passwords.
#include <doctest/doctest.h>

#include <csignal>

#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The next stdout line of `process` containing `text`, or nullopt at the deadline.
std::optional<std::string> line_with(Process& process, const std::string& text, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = process.read_line(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!line) return std::nullopt;
    if (line->find(text) != std::string::npos) return line;
  }
  return std::nullopt;
}

std::string hashed(const std::string& password) {
  Process hasher(binary("PARLEY_SERVER_BIN"), {"hash-password"}, "/dev/null");
  hasher.write_line(password);
  hasher.close_stdin();
  auto line = hasher.read_line(60s);
  REQUIRE(line);
  REQUIRE(line->starts_with("$scrypt$"));
  return *line;
}

void restart(std::unique_ptr<ServerProcess>& server, const TempDir& dir,
             std::vector<std::string> flags = {}) {
  const auto port = server->port;
  server->process->signal(SIGTERM);
  REQUIRE(server->process->wait_exit(10s) == 0);
  server = std::make_unique<ServerProcess>(dir, std::move(flags), port);
}

}  // namespace

TEST_CASE("e2e: the shell peer comes back after a server SIGTERM restart without asking anything") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  auto server = std::make_unique<ServerProcess>(dir);
  Process alice(binary("PARLEY_PEER_BIN"),
                {"--server", "127.0.0.1:" + std::to_string(server->port), "--user", "alice", "--data-dir",
                 (dir / "peer-alice").string()},
                dir / "peer-alice.log", {{"PARLEY_PASSWORD", "alice123"}});
  REQUIRE(line_with(alice, "logged in as alice", 30s));
  restart(server, dir);
  REQUIRE(line_with(alice, "the server is unreachable", 30s));
  REQUIRE(line_with(alice, "the server is back; logged in again", 60s));
  alice.write_line("users");
  REQUIRE(line_with(alice, "alice", 15s));
  for (const auto& line : alice.seen()) CHECK(line.find("password") == std::string::npos);
  alice.close_stdin();
  CHECK(alice.wait_exit() == 0);
}

TEST_CASE("e2e: 40 peers with hashed passwords all come back after a SIGTERM restart") {
  constexpr int kPeers = 40;
  TempDir dir;
  const std::string hash = hashed("a-long-secret");
  std::string accounts;
  for (int i = 0; i < kPeers; ++i) accounts += "user" + std::to_string(i) + " " + hash + "\n";
  write_text(dir / "credentials.txt", accounts);
  auto server = std::make_unique<ServerProcess>(dir);
  std::vector<std::unique_ptr<Peer>> peers;
  // All at once: more scrypt checks than the server queues, so some hear "busy" and retry.
  for (int i = 0; i < kPeers; ++i)
    peers.push_back(std::make_unique<Peer>(dir, server->port, "user" + std::to_string(i), "a-long-secret"));
  for (auto& peer : peers) REQUIRE_MESSAGE((*peer)->wait_type("login", 180s), (*peer)->stderr_text());
  restart(server, dir);
  int back = 0;
  for (auto& peer : peers) {
    auto up = (*peer)->wait_json([](const json& j) { return is(j, "server") && j["state"] == "back"; }, 120s);
    if (up) ++back;
  }
  MESSAGE(back << " of " << kPeers << " peers came back");
  CHECK(back == kPeers);
  // Back and working: one of them sees all the others online.
  (*peers[0])->write_line("whoelse");
  auto list = (*peers[0])->wait_type("users", 15s);
  REQUIRE(list);
  CHECK((*list)["users"].size() == kPeers - 1);
}
