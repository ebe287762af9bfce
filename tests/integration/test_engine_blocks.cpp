// The block list the server keeps, as a restarted peer learns it: blocks made in an
// earlier session are known (and shown to the front ends) right after login.
#include <doctest/doctest.h>

#include "tests/integration/engine_fixture.hpp"

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;
namespace ev = peer::ev;

namespace {

using Names = std::vector<std::string>;

// The list the engine last told its front ends without being asked.
std::optional<Names> learned(const EnginePeer& p) {
  std::optional<Names> last;
  for (const auto& b : p.all<ev::Blocked>())
    if (!b.answer) last = b.users;
  return last;
}

}  // namespace

TEST_CASE("engine blocks: a new session of the peer learns whom it blocked before") {
  Fixture f;
  {
    auto alice = f.log_in("alice");
    CHECK(f.execute(*alice, "ping"));  // answered after the block list, which came empty
    CHECK_FALSE(learned(*alice));      // nobody blocked yet: nothing to tell
    CHECK(f.execute(*alice, "block carol"));
    CHECK(learned(*alice) == Names{"carol"});
    CHECK(f.execute(*alice, "block bob"));
    CHECK(learned(*alice) == Names{"bob", "carol"});
    CHECK(f.execute(*alice, "logout"));
  }
  auto alice = f.log_in("alice");  // a fresh engine: it kept nothing of the last one
  REQUIRE(f.run_until([&] { return learned(*alice).has_value(); }));
  CHECK(learned(*alice) == Names{"bob", "carol"});
  CHECK(alice->engine->blocked_users() == std::set<std::string>{"bob", "carol"});

  CHECK(f.execute(*alice, "blocked"));
  auto answer = alice->all<ev::Blocked>().back();
  CHECK(answer.answer);
  CHECK(answer.users == Names{"bob", "carol"});

  CHECK(f.execute(*alice, "unblock bob"));
  CHECK(learned(*alice) == Names{"carol"});
  CHECK_FALSE(f.execute(*alice, "unblock bob"));  // not blocked: the list stays
  CHECK(alice->all<ev::Blocked>().back().users == Names{"carol"});
}

TEST_CASE("engine blocks: the list survives a server restart and the peer's resume") {
  Fixture f;
  auto alice = f.log_in("alice");
  CHECK(f.execute(*alice, "block dave"));
  const auto port = f.server.port();
  TestServer restarted(f.server, [port](server::ServerConfig& c) { c.port = port; });
  REQUIRE(f.run_until(
      [&] { return alice->all<ev::Server>().size() == 2 && alice->all<ev::Server>().back().up; }, 30s));
  CHECK(f.execute(*alice, "blocked"));
  CHECK(alice->all<ev::Blocked>().back().users == Names{"dave"});
  CHECK(alice->engine->blocked_users() == std::set<std::string>{"dave"});
}
