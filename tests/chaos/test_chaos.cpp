// Chaos for issue 14: senders stream messages while the server is SIGKILLed and restarted
// at random moments and recipients are killed and restarted too. Afterwards every message
// whose sender saw `stored` (or `delivered`) was shown exactly once by its recipient, and
// nothing was shown that was never sent. Bounded: about a minute of chaos.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int kServerKills = 20;
const std::vector<std::string> kSenders = {"s1", "s2", "s3"};
const std::vector<std::string> kRecipients = {"r1", "r2"};

std::string password_of(const std::string& user) { return user + "-secret"; }

// One user's peer over its successive processes (a recipient is killed and restarted).
struct User {
  std::string name;
  std::vector<std::unique_ptr<Peer>> lives;
  Process& now() { return **lives.back(); }
  std::vector<json> lines() const {
    std::vector<json> all;
    for (const auto& life : lives)
      for (const auto& line : (*life)->seen())
        if (auto j = json::parse(line, nullptr, false); !j.is_discarded()) all.push_back(std::move(j));
    return all;
  }
};

struct Chaos {
  Chaos() : rng(seed()) {
    std::string accounts;
    for (const auto& names : {kSenders, kRecipients})
      for (const auto& n : names) accounts += n + " " + password_of(n) + "\n";
    write_text(dir / "credentials.txt", accounts);
    server = std::make_unique<ServerProcess>(dir);
    port = server->port;
    for (const auto& names : {kSenders, kRecipients})
      for (const auto& n : names) {
        users[n].name = n;
        start(users[n]);
      }
    for (auto& [name, user] : users) REQUIRE(user.now().wait_type("login", 30s));
  }
  static unsigned seed() {
    const unsigned s = std::random_device{}();
    MESSAGE("chaos seed " << s);
    return s;
  }
  void start(User& user) {
    user.lives.push_back(std::make_unique<Peer>(dir, port, user.name, password_of(user.name)));
  }
  void drain_all() {
    for (auto& [name, user] : users) user.now().drain();
  }
  // Each sender types one message to the next recipient: "<sender> to <recipient> #<n>".
  void send_round() {
    for (const auto& s : kSenders) {
      const auto& to = kRecipients[static_cast<std::size_t>(sent) % kRecipients.size()];
      const std::string text = s + " to " + to + " #" + std::to_string(sent);
      users[s].now().write_line("message " + to + " " + text);
      sent_texts.insert(text);
      ++sent;
    }
  }
  void run_for(std::chrono::milliseconds length) {
    const auto end = std::chrono::steady_clock::now() + length;
    while (std::chrono::steady_clock::now() < end) {
      send_round();
      drain_all();
      std::this_thread::sleep_for(50ms);  // the pace of typing, not a wait for an event
    }
  }
  void kill_server() {
    server->process->signal(SIGKILL);
    REQUIRE(server->process->wait_exit());
  }
  void restart_recipient() {
    auto& user = users[kRecipients[rng() % kRecipients.size()]];
    user.now().signal(SIGKILL);
    REQUIRE(user.now().wait_exit());
    user.now().drain();  // what it printed before it died was shown
    start(user);
    ++recipient_restarts;
  }

  TempDir dir;
  std::mt19937 rng;
  std::unique_ptr<ServerProcess> server;
  std::uint16_t port = 0;
  std::map<std::string, User> users;
  std::set<std::string> sent_texts;
  int sent = 0;
  int recipient_restarts = 0;
};

// (recipient, id) of every message `sender` saw stored or delivered.
std::set<std::pair<std::string, std::string>> acknowledged_by_server(const User& sender) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& j : sender.lines())
    if (is(j, "receipt")) out.emplace(j["to"].get<std::string>(), j["id"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("chaos: server and recipients killed at random; every stored message shown exactly once") {
  Chaos c;
  std::uniform_int_distribution<int> up_ms(800, 2500);
  for (int kill = 0; kill < kServerKills; ++kill) {
    c.run_for(std::chrono::milliseconds(up_ms(c.rng)));
    c.kill_server();
    c.drain_all();
    c.server = std::make_unique<ServerProcess>(c.dir, std::vector<std::string>{}, c.port);
    // A peer started while its server is down gives up at once, so recipients die and come
    // back while the server is up (and messages flow).
    if (c.rng() % 3 == 0) c.restart_recipient();
  }
  c.run_for(1s);

  // Calm: every sender's messages get answered, every answered one reaches its recipient.
  for (const auto& s : kSenders) {
    auto& sender = c.users[s];
    const auto sent_by_s = c.sent / static_cast<int>(kSenders.size());
    while (acknowledged_by_server(sender).size() < static_cast<std::size_t>(sent_by_s))
      REQUIRE_MESSAGE(sender.now().wait_type("receipt", 60s), s << " stopped getting receipts");
  }
  std::map<std::string, std::multiset<std::string>> shown_ids;  // by recipient
  std::map<std::string, std::set<std::string>> expected;        // by recipient: ids the server stored
  int stored = 0;
  for (const auto& s : kSenders)
    for (const auto& [to, id] : acknowledged_by_server(c.users[s])) {
      expected[to].insert(id);
      ++stored;
    }
  int shown = 0;
  for (const auto& r : kRecipients) {
    auto& user = c.users[r];
    const auto count_shown = [&] {
      std::set<std::string> ids;
      for (const auto& j : user.lines())
        if (is(j, "message") && !j.value("mine", false)) ids.insert(j["id"].get<std::string>());
      return ids.size();
    };
    while (count_shown() < expected[r].size())
      REQUIRE_MESSAGE(user.now().wait_type("message", 60s), r << " stopped getting messages");
    user.now().write_line("ping");  // anything shown twice would come before the pong
    REQUIRE(user.now().wait_type("pong"));
    for (const auto& j : user.lines()) {
      if (!is(j, "message") || j.value("mine", false)) continue;
      shown_ids[r].insert(j["id"].get<std::string>());
      CHECK_MESSAGE(c.sent_texts.count(j["text"].get<std::string>()) == 1, "never sent: " << j.dump());
      ++shown;
    }
  }
  MESSAGE("chaos: " << kServerKills << " server kills, " << c.recipient_restarts << " recipient restarts, "
                    << c.sent << " sent, " << stored << " stored or delivered, " << shown << " shown");
  for (const auto& r : kRecipients) {
    for (const auto& id : expected[r]) CHECK_MESSAGE(shown_ids[r].count(id) == 1, r << " showed " << id);
    for (const auto& id : shown_ids[r])
      CHECK_MESSAGE(expected[r].count(id) == 1, r << " showed unknown " << id);
  }
  CHECK(stored == c.sent);
  CHECK(shown == c.sent);
}
