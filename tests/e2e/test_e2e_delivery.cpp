// End to end for issue 14's promise, on the built binaries: a message the server
// acknowledged reaches its recipient once, even when the recipient froze and was killed.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <set>

#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The receipt states `sender` printed for messages to `to`, in order, by message id.
std::map<std::string, std::vector<std::string>> receipts_for(const Process& sender, const std::string& to) {
  std::map<std::string, std::vector<std::string>> states;
  for (const auto& line : sender.seen()) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && is(j, "receipt") && j["to"] == to)
      states[j["id"].get<std::string>()].push_back(j["state"].get<std::string>());
  }
  return states;
}

// How often each text was shown to the user as a message from someone else.
std::map<std::string, int> shown_texts(const Process& recipient) {
  std::map<std::string, int> shown;
  for (const auto& line : recipient.seen()) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && is(j, "message") && !j.value("mine", false))
      ++shown[j["text"].get<std::string>()];
  }
  return shown;
}

}  // namespace

TEST_CASE("e2e: 20 messages to a frozen, then killed recipient: each shown once, stored then delivered") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice(dir, server.port, "alice", "alice123");
  auto bob = std::make_unique<Peer>(dir, server.port, "bob", "bob123");
  REQUIRE(alice->wait_type("login"));
  REQUIRE((*bob)->wait_type("login"));
  // bob's connection stays open, so the server pushes to it, but nothing is acknowledged.
  (*bob)->signal(SIGSTOP);
  constexpr int kMessages = 20;
  for (int i = 1; i <= kMessages; ++i) alice->write_line("message bob note " + std::to_string(i));
  int stored = 0;
  REQUIRE(alice->wait_json(
      [&](const json& j) { return is(j, "receipt") && j["state"] == "stored" && ++stored == kMessages; },
      30s));
  (*bob)->signal(SIGKILL);
  REQUIRE((*bob)->wait_exit());

  bob = std::make_unique<Peer>(dir, server.port, "bob", "bob123");  // the same data directory
  int delivered = 0;
  REQUIRE(alice->wait_json(
      [&](const json& j) {
        return is(j, "receipt") && j["state"] == "delivered" && ++delivered == kMessages;
      },
      30s));
  (*bob)->write_line("ping");
  REQUIRE((*bob)->wait_type("pong"));
  const auto shown = shown_texts(**bob);
  CHECK(shown.size() == static_cast<std::size_t>(kMessages));
  for (int i = 1; i <= kMessages; ++i) CHECK(shown.count("note " + std::to_string(i)) == 1);
  for (const auto& [text, times] : shown) CHECK_MESSAGE(times == 1, text);

  const auto states = receipts_for(*alice, "bob");
  CHECK(states.size() == static_cast<std::size_t>(kMessages));
  for (const auto& [id, seq] : states)
    CHECK_MESSAGE((seq == std::vector<std::string>{"stored", "delivered"}), id);
}

TEST_CASE(
    "e2e: a message to an online recipient who acknowledges at once is delivered without a stored step") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir, {"--ack-grace-ms", "10000"});  // any acknowledgement wins
  Peer alice(dir, server.port, "alice", "alice123");
  Peer bob(dir, server.port, "bob", "bob123");
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));
  alice->write_line("message bob hello");
  auto receipt = alice->wait_type("receipt");
  REQUIRE(receipt);
  CHECK((*receipt)["to"] == "bob");
  CHECK((*receipt)["state"] == "delivered");
  auto message = bob->wait_type("message");
  REQUIRE(message);
  CHECK((*message)["id"] == (*receipt)["id"]);
}
