// The block list a peer asks for at login (ListBlocked): only the asker's own blocks,
// restored ones included, kept across sessions, and bounded to fit one frame.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "server/registry/registry.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/limits.hpp"

using namespace parley::server;
using namespace parley::wire;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;

void log_in(Registry& r, const std::string& user, SessionId id) {
  auto fx = r.finish_login(1, user, true, id, "127.0.0.1:1", {}, T0);
  REQUIRE(std::get<LoginResult>(*fx.reply).status == Status::ok);
}

std::vector<std::string> blocked(const Registry& r, SessionId id) { return r.blocked_by(id, 9).users; }

}  // namespace

TEST_CASE("the block list answers with the asker's blocks only, sorted, across sessions") {
  Registry r({"alice", "bob", "carol", "dave"}, RegistrySettings{});
  PersistedState state;
  state.blocks.push_back({"alice", "dave"});  // from an earlier run of the server
  state.blocks.push_back({"bob", "alice"});
  r.restore(state);
  log_in(r, "alice", 1);
  log_in(r, "bob", 2);

  CHECK(r.blocked_by(1, 9).request == 9);
  CHECK(blocked(r, 1) == std::vector<std::string>{"dave"});
  r.block(1, 2, "carol");
  r.block(1, 3, "bob");
  CHECK(blocked(r, 1) == std::vector<std::string>{"bob", "carol", "dave"});
  CHECK(blocked(r, 2) == std::vector<std::string>{"alice"});  // whoever blocked me is not said

  r.unblock(1, 4, "carol");
  CHECK(blocked(r, 1) == std::vector<std::string>{"bob", "dave"});

  // A new session of alice (the peer restarted) finds the same list.
  r.logout(1, "logged out", T0 + 1);
  CHECK(blocked(r, 1).empty());  // that session is no one now
  log_in(r, "alice", 3);
  CHECK(blocked(r, 3) == std::vector<std::string>{"bob", "dave"});
}

TEST_CASE("the block list is empty before login and for a user who blocked no one") {
  Registry r({"alice", "bob"}, RegistrySettings{});
  r.restore(PersistedState{});
  CHECK(blocked(r, 1).empty());
  log_in(r, "alice", 1);
  CHECK(blocked(r, 1).empty());
  CHECK(r.blocked_by(1, 4).last_seen_ms.empty());
}

TEST_CASE("a huge block list is cut to what fits one frame") {
  std::set<std::string, std::less<>> accounts{"alice"};
  PersistedState state;
  for (std::size_t i = 0; i < kMaxBlockedListed + 50; ++i) {
    std::string name = fmt::format("{:0>32}", i);  // the longest names there are
    accounts.insert(name);
    state.blocks.push_back({"alice", name});
  }
  Registry r(std::move(accounts), RegistrySettings{});
  r.restore(state);
  log_in(r, "alice", 1);
  const Message list = r.blocked_by(1, 1);
  CHECK(std::get<UserList>(list).users.size() == kMaxBlockedListed);
  CHECK(validate(list).empty());
  CHECK(encode_frame(list).size() <= kMaxFrame);
}
