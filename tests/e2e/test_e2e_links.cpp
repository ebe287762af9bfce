// End to end for direct private links: the built binaries, several peers, a server
// that is stopped, killed and restarted under them.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>

#include "shared/net/tls_context.hpp"
#include "shared/util/hex.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/raw_client.hpp"

using namespace parley::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

bool link_event(const json& j, const std::string& user, const std::string& state) {
  return j.value("type", "") == "link" && j.value("user", "") == user && j.value("state", "") == state;
}

// Opens a link from `a` (user a_name) to `b` (user b_name) and waits until both see it.
void open_link(Peer& a, const std::string& a_name, Peer& b, const std::string& b_name) {
  a->write_line("startprivate " + b_name);
  auto mine = a->wait_json([&](const json& j) { return link_event(j, b_name, "open"); });
  REQUIRE_MESSAGE(mine, "no link: " << a->stderr_text());
  CHECK((*mine)["reason"] == "opened by you");
  auto theirs = b->wait_json([&](const json& j) { return link_event(j, a_name, "open"); });
  REQUIRE(theirs);
  CHECK((*theirs)["reason"] == a_name + " opened a private link with you");
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("e2e links: startprivate, private, reply, stopprivate and every error") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice(dir, server.port, "alice", "alice123");
  Peer bob(dir, server.port, "bob", "bob123");
  Peer carol(dir, server.port, "carol", "carol123");
  for (Peer* p : {&alice, &bob, &carol}) REQUIRE((*p)->wait_type("login"));
  carol->write_line("block alice");
  REQUIRE(carol->wait_json([](const json& j) { return j.value("message", "") == "alice is blocked"; }));

  auto error_for = [&](const std::string& line) {
    alice->write_line(line);
    auto e = alice->wait_type("error");
    REQUIRE_MESSAGE(e, line);
    return (*e)["message"].get<std::string>();
  };
  CHECK(error_for("startprivate alice").find("yourself") != std::string::npos);
  CHECK(error_for("startprivate zed") == "unknown user 'zed'");
  CHECK(error_for("startprivate dave") == "dave is offline");
  CHECK(error_for("startprivate carol") == "carol has blocked you");
  CHECK(error_for("private bob hi") == "no private link with bob (open one with: startprivate bob)");
  CHECK(error_for("private alice hi").find("yourself") != std::string::npos);
  CHECK(error_for("stopprivate bob") == "no private link with bob");
  CHECK(error_for("stopprivate alice").find("yourself") != std::string::npos);
  CHECK(error_for("reply hello?") == "nobody has sent you a message yet");

  open_link(alice, "alice", bob, "bob");
  CHECK(error_for("startprivate bob") == "a private link with bob is already open");

  alice->write_line("private bob hello  direct");
  auto got = bob->wait_type("private");
  REQUIRE(got);
  CHECK((*got)["from"] == "alice");
  CHECK((*got)["text"] == "hello  direct");
  CHECK((*got)["time"].get<std::string>().size() == 24);
  auto delivered = alice->wait_json([](const json& j) { return j.value("status", "") == "delivered"; });
  REQUIRE(delivered);
  CHECK((*delivered)["message"] == "private message delivered to bob");

  bob->write_line("reply over the link");  // the last sender was alice, and the link is open
  auto answer = alice->wait_type("private");
  REQUIRE(answer);
  CHECK((*answer)["from"] == "bob");
  CHECK((*answer)["text"] == "over the link");

  bob->write_line("stopprivate alice");
  auto closed_here = bob->wait_json([](const json& j) { return link_event(j, "alice", "closed"); });
  REQUIRE(closed_here);
  CHECK((*closed_here)["reason"] == "closed by you");
  auto closed_there = alice->wait_json([](const json& j) { return link_event(j, "bob", "closed"); });
  REQUIRE(closed_there);
  CHECK((*closed_there)["reason"] == "closed by bob");

  bob->write_line("reply through the server now");  // no link any more: a server message
  auto relayed = alice->wait_type("message");
  REQUIRE(relayed);
  CHECK((*relayed)["from"] == "bob");
  CHECK((*relayed)["text"] == "through the server now");
}

TEST_CASE(
    "e2e links: private text flows while the server is stopped or dead, never through it; peers log back "
    "in") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  auto server = std::make_unique<ServerProcess>(dir, std::vector<std::string>{"--dead-peer-timeout", "3"});
  const std::uint16_t port = server->port;
  Peer alice(dir, port, "alice", "alice123");
  Peer bob(dir, port, "bob", "bob123");
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));
  open_link(alice, "alice", bob, "bob");

  server->process->signal(SIGSTOP);  // alive to the kernel, silent to everyone
  alice->write_line("private bob sent while the server is frozen");
  auto frozen = bob->wait_type("private");
  REQUIRE(frozen);
  CHECK((*frozen)["text"] == "sent while the server is frozen");
  // The peers notice the silence and say so; the link is unaffected.
  auto lost = alice->wait_type("server", 20s);
  REQUIRE(lost);
  CHECK((*lost)["state"] == "lost");

  server->process->signal(SIGKILL);
  server->process->wait_exit();
  alice->write_line("private bob sent while the server is dead");
  auto dead = bob->wait_type("private");
  REQUIRE(dead);
  CHECK((*dead)["text"] == "sent while the server is dead");
  // The server never saw either text: not in its log, not in its database.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "server-data"))
    if (entry.is_regular_file()) CHECK(read_all(entry.path()).find("server is") == std::string::npos);
  CHECK(server->process->stderr_text().find("server is") == std::string::npos);

  server = std::make_unique<ServerProcess>(dir, std::vector<std::string>{"--dead-peer-timeout", "3"}, port);
  for (Peer* p : {&alice, &bob}) {
    auto back = (*p)->wait_json(
        [](const json& j) { return j.value("type", "") == "server" && j["state"] == "back"; }, 60s);
    REQUIRE(back);
  }
  alice->write_line("whoelse");
  auto users = alice->wait_type("users");
  REQUIRE(users);
  CHECK((*users)["users"] == json::array({"bob"}));
  alice->write_line("private bob still linked");
  auto still = bob->wait_type("private");
  REQUIRE(still);
  CHECK((*still)["text"] == "still linked");
}

TEST_CASE("e2e links: a link drop is reported on both sides; blocking closes a link") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice(dir, server.port, "alice", "alice123");
  Peer bob(dir, server.port, "bob", "bob123");
  Peer carol(dir, server.port, "carol", "carol123");
  for (Peer* p : {&alice, &bob, &carol}) REQUIRE((*p)->wait_type("login"));

  SUBCASE("the other peer crashes") {
    open_link(alice, "alice", bob, "bob");
    bob->signal(SIGKILL);
    auto closed = alice->wait_json([](const json& j) { return link_event(j, "bob", "closed"); }, 30s);
    REQUIRE(closed);
    CHECK((*closed)["reason"].get<std::string>().find("connection lost") != std::string::npos);
  }
  SUBCASE("the other peer logs out: both sides report it") {
    open_link(alice, "alice", bob, "bob");
    bob->write_line("logout");
    auto mine = bob->wait_json([](const json& j) { return link_event(j, "alice", "closed"); });
    REQUIRE(mine);
    CHECK((*mine)["reason"] == "you logged out");
    auto theirs = alice->wait_json([](const json& j) { return link_event(j, "bob", "closed"); });
    REQUIRE(theirs);
    CHECK((*theirs)["reason"] == "bob logged out");
    CHECK(bob->wait_exit() == 0);
  }
  SUBCASE("the other peer is interrupted (Ctrl-C): it still says goodbye") {
    open_link(alice, "alice", bob, "bob");
    bob->signal(SIGINT);
    auto theirs = alice->wait_json([](const json& j) { return link_event(j, "bob", "closed"); });
    REQUIRE(theirs);
    CHECK((*theirs)["reason"] == "bob logged out");  // a signal logs out cleanly too
    CHECK(bob->wait_exit() == 128 + SIGINT);
  }
  SUBCASE("blocking the other user") {
    open_link(alice, "alice", carol, "carol");
    alice->write_line("block carol");
    auto mine = alice->wait_json([](const json& j) { return link_event(j, "carol", "closed"); });
    REQUIRE(mine);
    CHECK((*mine)["reason"] == "you blocked carol");
    auto theirs = carol->wait_json([](const json& j) { return link_event(j, "alice", "closed"); });
    REQUIRE(theirs);
    CHECK((*theirs)["reason"] == "closed by alice");  // not told why
    carol->write_line("startprivate alice");
    auto refused = carol->wait_type("error");
    REQUIRE(refused);
    CHECK((*refused)["message"] == "alice has blocked you");
  }
}

TEST_CASE("e2e links: the listener refuses a wrong certificate and a forged token") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer bob(dir, server.port, "bob", "bob123");
  auto listening = bob->wait_json([](const json& j) { return j.contains("p2p"); });
  REQUIRE(listening);
  std::smatch m;
  std::string p2p = (*listening)["p2p"];
  REQUIRE(std::regex_match(p2p, m, std::regex(R"(127\.0\.0\.1:(\d+))")));
  auto port = static_cast<std::uint16_t>(std::stoi(m[1]));

  auto mallory = parley::net::load_or_create_identity(dir / "mallory", "identity", "mallory");
  RawTlsClient raw(port, &mallory);
  REQUIRE(raw.handshake());
  raw.write(parley::wire::LinkMessage{
      parley::wire::LinkHello{parley::wire::kLinkVersion, "alice", parley::random_id()}});
  auto answer = raw.read_link();
  REQUIRE(answer);
  REQUIRE(std::holds_alternative<parley::wire::LinkRefused>(*answer));
  CHECK(std::get<parley::wire::LinkRefused>(*answer).reason == "unknown or already used token");
  CHECK(raw.wait_closed());
  // Logged with the reason, and bob carries on.
  bob->write_line("whoelse");
  REQUIRE(bob->wait_type("users"));
  CHECK(bob->stderr_text().find("refused") != std::string::npos);
}
