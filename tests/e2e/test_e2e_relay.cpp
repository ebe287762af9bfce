// End to end for relayed links with a separate parley-relay (issue 15): a link that
// goes through the relay needs the relay, not the registry. The registry is killed
// under an open relayed chat and a relayed download; both carry on, and a restarted
// registry signs tickets the same relay accepts.
#include <doctest/doctest.h>

#include <csignal>
#include <cstring>
#include <regex>

#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// parley-relay on an ephemeral 127.0.0.1 port, with a secret shared with the registry.
struct RelayProcess {
  explicit RelayProcess(const TempDir& dir) : secret_file(dir / "relay-secret") {
    write_text(secret_file, "relay-secret-for-the-e2e-test-0123456789\n");
    process = std::make_unique<Process>(
        binary("PARLEY_RELAY_BIN"),
        std::vector<std::string>{"--port", "0", "--secret-file", secret_file.string(), "--data-dir",
                                 (dir / "relay-data").string()},
        dir / "relay.log");
    auto line = process->read_line(20s);
    REQUIRE_MESSAGE(line, "relay did not start: " << process->stderr_text());
    std::smatch m;
    REQUIRE(
        std::regex_search(*line, m, std::regex(R"(listening on ([0-9.]+:\d+) fingerprint ([0-9a-f]{64}))")));
    address = m[1];
    fingerprint = m[2];
  }
  // The registry's flags for this relay; every link is sent through it.
  std::vector<std::string> server_flags() const {
    return {"--relay-at",          address,
            "--relay-fingerprint", fingerprint,
            "--relay-secret-file", secret_file.string(),
            "--force-path",        "relay",
            "--dead-peer-timeout", "3"};
  }
  std::filesystem::path secret_file;
  std::unique_ptr<Process> process;
  std::string address, fingerprint;
};

bool link_event(const json& j, const std::string& user, const std::string& state) {
  return is(j, "link") && j.value("user", "") == user && j.value("state", "") == state;
}

// Opens a link from `a` to `b` and checks that both sides see it go through the relay.
void open_relayed_link(Peer& a, const std::string& a_name, Peer& b, const std::string& b_name) {
  a->write_line("startprivate " + b_name);
  auto mine = a->wait_json([&](const json& j) { return link_event(j, b_name, "open") || is(j, "error"); });
  REQUIRE_MESSAGE(mine, "no link: " << a->stderr_text());
  REQUIRE_MESSAGE(is(*mine, "link"), mine->dump());
  CHECK((*mine)["path"] == "relay");
  auto theirs = b->wait_json([&](const json& j) { return link_event(j, a_name, "open"); });
  REQUIRE(theirs);
  CHECK((*theirs)["path"] == "relay");
}

void private_text(Peer& from, const std::string& from_name, Peer& to, const std::string& to_name,
                  const std::string& text) {
  from->write_line("private " + to_name + " " + text);
  auto got = to->wait_json([&](const json& j) { return is(j, "private") && j.value("text", "") == text; });
  REQUIRE_MESSAGE(got, text);
  CHECK((*got)["from"] == from_name);
  auto receipt = from->wait_json([&](const json& j) {
    return j.value("user", "") == to_name && (j.value("status", "") == "delivered" || is(j, "error"));
  });
  REQUIRE(receipt);
  CHECK((*receipt)["status"] == "delivered");
}

// Bytes that do not repeat (xorshift), so that a misplaced chunk cannot go unnoticed.
std::string make_content(std::size_t size) {
  std::string out(size, '\0');
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::size_t i = 0; i < size; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out.data() + i, &x, std::min<std::size_t>(8, size - i));
  }
  return out;
}

}  // namespace

TEST_CASE(
    "e2e relay: a relayed chat and download survive the registry's death; a restarted one links again") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  RelayProcess relay(dir);
  auto server = std::make_unique<ServerProcess>(dir, relay.server_flags());
  const std::uint16_t port = server->port;
  // bob sends slowly (1 MiB/s), so the download is still running when the registry dies.
  Peer alice = sharer(dir, port, "alice");
  Peer bob = sharer(dir, port, "bob", {"--upload-limit", "1024"});
  Peer carol = sharer(dir, port, "carol");
  for (Peer* p : {&alice, &bob, &carol}) REQUIRE((*p)->wait_type("login"));
  const std::string content = make_content(4 << 20);
  write_text(dir / "share-bob" / "data.bin", content);
  bob->write_line("register data.bin 8");
  REQUIRE(bob->wait_type("registered", 60s));

  open_relayed_link(alice, "alice", bob, "bob");
  private_text(alice, "alice", bob, "bob", "before the registry dies");
  alice->write_line("download data.bin");
  REQUIRE(alice->wait_type("progress", 60s));  // the relayed transfer link is open and busy

  server->process->signal(SIGKILL);
  server->process->wait_exit();
  for (Peer* p : {&alice, &bob}) {
    auto lost = (*p)->wait_json([](const json& j) { return is(j, "server") && j["state"] == "lost"; }, 30s);
    REQUIRE(lost);
  }
  private_text(alice, "alice", bob, "bob", "alice to bob with the registry dead");
  private_text(bob, "bob", alice, "alice", "bob to alice with the registry dead");
  auto done = alice->wait_json([](const json& j) { return is(j, "downloaded") || is(j, "error"); }, 60s);
  REQUIRE(done);
  REQUIRE_MESSAGE(is(*done, "downloaded"), done->dump());
  CHECK(read_text(dir / "dl-alice" / "data.bin") == content);
  alice->write_line("downloads");
  auto list = alice->wait_type("downloads");
  REQUIRE(list);
  CHECK((*list)["downloads"][0]["paths"] == json{{"bob", "relay"}});

  // A new registry signs tickets the same relay accepts (the secret is shared, not kept).
  server = std::make_unique<ServerProcess>(dir, relay.server_flags(), port);
  for (Peer* p : {&alice, &bob, &carol}) {
    auto back = (*p)->wait_json([](const json& j) { return is(j, "server") && j["state"] == "back"; }, 60s);
    REQUIRE(back);
  }
  private_text(bob, "bob", alice, "alice", "still linked after the restart");
  open_relayed_link(carol, "carol", alice, "alice");
  private_text(carol, "carol", alice, "alice", "a new relayed link");

  // The links went through the relay: without it they end, on both sides.
  relay.process->signal(SIGKILL);
  for (auto [p, other] : {std::pair{&alice, "bob"}, std::pair{&bob, "alice"}}) {
    auto closed = (*p)->wait_json([&](const json& j) { return link_event(j, other, "closed"); }, 30s);
    REQUIRE(closed);
  }
}
