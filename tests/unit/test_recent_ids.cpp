// A sender's recent message ids: found, the oldest forgotten first, and right through any
// mix of remember, forget and eviction (checked against a plain model), tags that
// collide included.
#include <doctest/doctest.h>

#include <deque>
#include <random>
#include <unordered_map>

#include "server/registry/recent_ids.hpp"

using parley::server::RecentIds;

TEST_CASE("recent ids: what was remembered is found, nothing else is") {
  RecentIds ids;
  CHECK(ids.find(42) == 0);
  ids.remember(42, 7);
  ids.remember(0, 8);  // any 64-bit digest is a key, 0 too
  CHECK(ids.find(42) == 7);
  CHECK(ids.find(0) == 8);
  CHECK(ids.find(43) == 0);
}

TEST_CASE("recent ids: the oldest is forgotten once the window is full") {
  RecentIds ids;
  for (std::uint64_t k = 1; k <= RecentIds::kCapacity + 1; ++k)
    ids.remember(k * 1000, static_cast<std::int64_t>(k));
  CHECK(ids.find(1000) == 0);
  CHECK(ids.find(2000) == 2);
  CHECK(ids.find((RecentIds::kCapacity + 1) * 1000) == static_cast<std::int64_t>(RecentIds::kCapacity + 1));
}

TEST_CASE("recent ids: a key forgotten and remembered again outlives its older copy") {
  RecentIds ids;
  ids.remember(5, 1);
  ids.forget(5);
  CHECK(ids.find(5) == 0);
  ids.remember(5, 2);
  // The window moves past the first copy: the second (newer) must stay.
  for (std::uint64_t k = 100; k < 100 + RecentIds::kCapacity - 1; ++k) ids.remember(k, 10);
  CHECK(ids.find(5) == 2);
  ids.remember(9999, 11);  // now the second copy is the oldest: it goes
  CHECK(ids.find(5) == 0);
}

TEST_CASE("recent ids: agrees with a plain model through 200,000 random operations") {
  struct Model {
    std::deque<std::pair<std::uint64_t, std::int64_t>> order;
    std::unordered_map<std::uint64_t, std::int64_t> live;
    void remember(std::uint64_t key, std::int64_t seq) {
      if (order.size() == RecentIds::kCapacity) {
        auto [old_key, old_seq] = order.front();
        order.pop_front();
        if (auto it = live.find(old_key); it != live.end() && it->second == old_seq) live.erase(it);
      }
      order.emplace_back(key, seq);
      live[key] = seq;
    }
    std::int64_t find(std::uint64_t key) const {
      auto it = live.find(key);
      return it == live.end() ? 0 : it->second;
    }
  } model;
  RecentIds ids;
  std::mt19937_64 rng(14);
  // Few distinct keys, so they repeat; half share their top 16 bits (the tag) with others.
  auto key = [&] { return (rng() % 2 ? 0xabcdULL << 48 : 0) | (1 + rng() % 700) * 0x9e3779b97f4a7c15ULL; };
  std::int64_t seq = 0;
  for (int step = 0; step < 200'000; ++step) {
    const std::uint64_t k = key();
    switch (rng() % 4) {
      case 0:
        ids.forget(k);
        model.live.erase(k);
        break;
      case 1:
        REQUIRE(ids.find(k) == model.find(k));
        break;
      default:
        ids.remember(k, ++seq);
        model.remember(k, seq);
    }
  }
  for (std::uint64_t k = 1; k <= 700; ++k) {
    const std::uint64_t probe = k * 0x9e3779b97f4a7c15ULL;
    CHECK(ids.find(probe) == model.find(probe));
  }
}
