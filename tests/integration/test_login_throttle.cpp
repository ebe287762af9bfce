// Login throttling against a real server (issue 17): guessers from another address do
// not keep a real user out, unknown names cost what known ones do, failures from one
// address slow that address down, and sign-ups are limited per address.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "server/auth/password.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/raw_client.hpp"

using namespace parley;
using namespace parley::test;
using wire::Status;

namespace {

// Every account with the same scrypt hash: one hash to compute, the full cost per check.
std::filesystem::path hashed_accounts(const TempDir& dir, const std::vector<std::string>& names) {
  const std::string hash = server::hash_password("right password");
  std::string text;
  for (const auto& name : names) text += name + " " + hash + "\n";
  write_text(dir / "hashed.txt", text);
  return dir / "hashed.txt";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("40 guessing connections from one address do not keep a real user out") {
  TempDir dir;
  std::vector<std::string> names{"alice"};
  for (int i = 0; i < 40; ++i) names.push_back("guessed" + std::to_string(i));
  const auto accounts = hashed_accounts(dir, names);
  TestServer server([&](auto& c) {
    c.credentials = accounts;
    c.block_duration = std::chrono::seconds(0);  // no lockout: the guessers keep the queue busy
    c.caps.max_prelogin_per_ip = 64;             // the throttle, not the cap, is under test
  });
  std::atomic<bool> stop{false};
  std::atomic<int> guesses{0};
  std::vector<std::thread> guessers;
  for (int i = 0; i < 40; ++i) {
    guessers.emplace_back([&, name = names[static_cast<std::size_t>(i) + 1]] {
      while (!stop) {
        RawTlsClient guesser(server.port());
        guesser.bind_source("127.0.0.2");
        if (!guesser.handshake()) continue;
        while (!stop && guesser.log_in(name, "guess", 3s)) ++guesses;
      }
    });
  }
  while (guesses < 40) std::this_thread::yield();  // the flood is on
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    RawTlsClient alice(server.port());
    REQUIRE(alice.handshake());
    auto result = alice.log_in("alice", "right password");
    REQUIRE(result);
    MESSAGE("login " << attempt << ": " << std::string(wire::to_string(result->status)) << " after "
                     << seconds_since(start) << " s");
    CHECK(result->status == Status::ok);
    CHECK(seconds_since(start) < 10.0);  // a few checks of 0.3-0.7 s ahead, on a loaded machine
  }
  stop = true;
  for (auto& t : guessers) t.join();
  MESSAGE(guesses.load() << " guesses answered");
}

TEST_CASE("an unknown name takes as long to refuse as a known name with a wrong password") {
  TempDir dir;
  const auto accounts = hashed_accounts(dir, {"alice", "bob"});
  TestServer server([&](auto& c) { c.credentials = accounts; });
  RawTlsClient client(server.port());
  REQUIRE(client.handshake());
  auto timed = [&](const std::string& user, Status expected) {
    const auto start = std::chrono::steady_clock::now();
    auto result = client.log_in(user, "wrong");
    REQUIRE(result);
    CHECK(result->status == expected);
    return seconds_since(start);
  };
  std::vector<double> known, unknown;
  for (const char* name : {"alice", "bob"}) {
    known.push_back(timed(name, Status::wrong_password));
    unknown.push_back(timed(std::string("nobody_") + name, Status::unknown_user));
  }
  const double k = *std::min_element(known.begin(), known.end());
  const double u = *std::min_element(unknown.begin(), unknown.end());
  MESSAGE("known " << k << " s, unknown " << u << " s");
  CHECK(u > k * 0.5);
  CHECK(u < k * 2.0);
}

TEST_CASE("failed logins from one address slow that address down, not the others") {
  TestServer server;
  RawTlsClient guesser(server.port());
  guesser.bind_source("127.0.0.3");
  REQUIRE(guesser.handshake());
  for (const char* name : {"alice", "bob", "carol", "dave", "eve"})
    for (int i = 0; i < 2; ++i) REQUIRE(guesser.log_in(name, "wrong")->status == Status::wrong_password);
  // The 11th failure (10 are free) makes the next attempt wait 1 s; an unknown name counts.
  REQUIRE(guesser.log_in("nobody", "wrong")->status == Status::unknown_user);
  auto slowed = guesser.log_in("alice", "alice123");
  REQUIRE(slowed);
  CHECK(slowed->status == Status::rate_limited);
  CHECK(slowed->retry_after_s == 1);
  CHECK(slowed->message.find("try again in 1 s") != std::string::npos);
  TestClient alice(server.port());  // from 127.0.0.1
  alice.sign_in("alice");
}

TEST_CASE("sign-ups are limited per address") {
  TestServer server([](auto& c) {
    c.allow_signup = true;
    c.login_throttle.sign_ups_per_ip_per_hour = 2;
  });
  for (int i = 0; i < 3; ++i) {
    RawTlsClient client(server.port());
    REQUIRE(client.handshake());
    auto result = client.log_in("newcomer" + std::to_string(i), "long enough", 10s, true);
    REQUIRE(result);
    if (i < 2) {
      CHECK(result->status == Status::ok);
    } else {
      CHECK(result->status == Status::rate_limited);
      CHECK(result->retry_after_s > 3500);
    }
  }
}
