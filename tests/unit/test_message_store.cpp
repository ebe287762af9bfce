#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "peer/store/message_store.hpp"
#include "shared/util/time.hpp"
#include "tests/support/temp_dir.hpp"

using parley::now_ms;
using parley::peer::MessageStore;
using parley::peer::MessageStoreOptions;
using parley::peer::QueuedMessage;
using parley::peer::StoredMessage;

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

StoredMessage line(std::string id, std::string from, std::vector<std::string> to, bool mine,
                   std::int64_t time_ms = now_ms()) {
  StoredMessage m;
  m.msg_id = std::move(id);
  m.kind = "message";
  m.from = std::move(from);
  m.to = std::move(to);
  m.text = "text of " + m.msg_id;
  m.mine = mine;
  m.time_ms = time_ms;
  m.state = mine ? "stored" : "received";
  return m;
}

std::vector<std::string> ids(const std::vector<StoredMessage>& lines) {
  std::vector<std::string> out;
  for (const auto& m : lines) out.push_back(m.msg_id);
  return out;
}

// A data directory and a loop that runs until the callback a test waits for has come.
class Fixture {
 public:
  MessageStoreOptions options(int history_days = 365, std::string account = "alice@127.0.0.1:7878") {
    return MessageStoreOptions{dir_ / "messages.db", std::move(account), history_days, {}};
  }
  std::unique_ptr<MessageStore> open(int history_days = 365) {
    return std::make_unique<MessageStore>(options(history_days), io_.get_executor());
  }
  asio::io_context& io() { return io_; }
  const parley::test::TempDir& dir() const { return dir_; }

  // Runs the loop until `done()` or a deadline; true if `done()`.
  template <class Pred>
  bool run_until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  std::vector<StoredMessage> history(MessageStore& store, const std::string& with, std::size_t n = 100) {
    std::optional<std::vector<StoredMessage>> got;
    store.history(with, n, [&](std::vector<StoredMessage> lines) { got = std::move(lines); });
    REQUIRE(run_until([&] { return got.has_value(); }));
    return *got;
  }

  bool added(MessageStore& store, StoredMessage m) {
    std::optional<bool> ok;
    store.add(std::move(m), [&](bool result) { ok = result; });
    REQUIRE(run_until([&] { return ok.has_value(); }));
    return *ok;
  }

 private:
  parley::test::TempDir dir_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
};

}  // namespace

TEST_CASE("message store: history is oldest first, filtered by user, limited to the newest n") {
  Fixture f;
  auto store = f.open();
  CHECK(f.added(*store, line("m1", "alice", {"bob"}, true)));
  CHECK(f.added(*store, line("m2", "bob", {"alice"}, false)));
  CHECK(f.added(*store, line("m3", "carol", {"alice", "bob"}, false)));
  CHECK(f.added(*store, line("m4", "alice", {"carol"}, true)));
  StoredMessage broadcast = line("m5", "dave", {}, false);
  broadcast.kind = "broadcast";
  broadcast.action = true;
  CHECK(f.added(*store, broadcast));

  CHECK(ids(f.history(*store, "")) == std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"});
  CHECK(ids(f.history(*store, "bob")) == std::vector<std::string>{"m1", "m2", "m3"});
  CHECK(ids(f.history(*store, "CAROL")) == std::vector<std::string>{"m3", "m4"});  // names ignore case
  CHECK(ids(f.history(*store, "", 2)) == std::vector<std::string>{"m4", "m5"});
  CHECK(ids(f.history(*store, "bob", 1)) == std::vector<std::string>{"m3"});
  CHECK(f.history(*store, "nobody").empty());

  const auto all = f.history(*store, "");
  CHECK(all[2].from == "carol");
  CHECK(all[2].to == std::vector<std::string>{"alice", "bob"});
  CHECK(all[2].state == "received");
  CHECK(all[2].to_state.empty());
  CHECK_FALSE(all[2].mine);
  CHECK(all[0].mine);
  CHECK(all[0].text == "text of m1");
  CHECK(all[4].kind == "broadcast");
  CHECK(all[4].action);
  CHECK(all[4].to.empty());
  CHECK(all[0].row < all[1].row);
}

TEST_CASE("message store: text is kept byte for byte") {
  Fixture f;
  auto store = f.open();
  std::string text = "line one\nl\xc3\xa9ne two\t";
  text.resize(4096, 'x');
  StoredMessage m = line("long", "alice", {"bob"}, true);
  m.text = text;
  CHECK(f.added(*store, m));
  const auto got = f.history(*store, "bob");
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == text);
}

TEST_CASE("message store: receipts change only our own lines, per recipient or all") {
  Fixture f;
  auto store = f.open();
  StoredMessage group = line("g1", "alice", {"bob", "carol"}, true);
  group.state = "queued";
  CHECK(f.added(*store, group));
  CHECK(f.added(*store, line("g1", "bob", {"alice"}, false)));  // someone else's, same id

  store->set_state("g1", "stored");
  auto got = f.history(*store, "");
  CHECK(got[0].state == "stored");
  CHECK(got[0].to_state == std::vector<std::string>{"stored", "stored"});
  CHECK(got[1].state == "received");

  store->set_state("g1", "delivered", "Carol");
  got = f.history(*store, "");
  CHECK(got[0].state == "mixed");
  CHECK(got[0].to_state == std::vector<std::string>{"stored", "delivered"});

  store->set_state("g1", "delivered", "bob");
  got = f.history(*store, "");
  CHECK(got[0].state == "delivered");

  StoredMessage mine_broadcast = line("b1", "alice", {}, true);
  mine_broadcast.kind = "broadcast";
  mine_broadcast.state = "queued";
  CHECK(f.added(*store, mine_broadcast));
  store->set_state("b1", "delivered");
  CHECK(f.history(*store, "", 1)[0].state == "delivered");
}

TEST_CASE("message store: a receipt of the server copy leaves the direct line with its id not delivered") {
  Fixture f;
  auto store = f.open();
  StoredMessage direct = line("p1", "alice", {"bob"}, true);
  direct.kind = "private";
  direct.state = "not_delivered";
  CHECK(f.added(*store, direct));
  StoredMessage fallback = line("p1", "alice", {"bob"}, true);  // --fallback: the same id
  fallback.state = "sent";
  CHECK(f.added(*store, fallback));
  store->set_state("p1", "delivered", "bob");
  const auto got = f.history(*store, "bob");
  REQUIRE(got.size() == 2);
  CHECK(got[0].state == "not_delivered");
  CHECK(got[1].state == "delivered");
}

TEST_CASE("message store: seen ids survive reopening, per sender, and old ones are pruned") {
  Fixture f;
  const std::int64_t now = now_ms();
  {
    auto store = f.open();
    CHECK_FALSE(store->seen("bob", "x1"));
    std::optional<bool> durable;
    store->mark_seen("bob", "x1", now, [&](bool ok) { durable = ok; });
    CHECK(store->seen("bob", "x1"));  // at once, from memory
    CHECK(store->seen("BOB", "x1"));
    CHECK_FALSE(store->seen("mallory", "x1"));  // another sender cannot reuse the id
    store->mark_seen("bob", "old", now - 400 * kDayMs);
    store->mark_seen("bob", "recent", now - 20 * kDayMs);
    REQUIRE(f.run_until([&] { return durable.has_value(); }));
    CHECK(*durable);
  }
  {
    auto store = f.open(365);
    CHECK(store->seen("bob", "x1"));
    CHECK(store->seen("bob", "recent"));
    CHECK_FALSE(store->seen("bob", "old"));
  }
  {
    // A short history still keeps seen ids for the minimum window.
    auto store = f.open(7);
    CHECK(store->seen("bob", "recent"));
  }
  {
    // Another account in the same data directory sees none of them.
    MessageStore other(f.options(365, "bob@127.0.0.1:7878"), f.io().get_executor());
    CHECK_FALSE(other.seen("bob", "x1"));
  }
}

TEST_CASE("message store: the outbox survives reopening in order; dequeue is for good") {
  Fixture f;
  {
    auto store = f.open();
    int durable = 0;
    for (const char* id : {"q1", "q2", "q3"}) {
      store->enqueue(QueuedMessage{id, {"bob", "carol"}, std::string("hi ") + id, 1000},
                     [&](bool ok) { durable += ok ? 1 : 0; });
    }
    store->enqueue(QueuedMessage{"q2", {"bob"}, "again", 2000}, {});  // same id: kept once
    CHECK(store->outbox().size() == 3);
    REQUIRE(f.run_until([&] { return durable == 3; }));
  }
  {
    auto store = f.open();
    const auto& out = store->outbox();
    REQUIRE(out.size() == 3);
    CHECK(out[0].msg_id == "q1");
    CHECK(out[1].msg_id == "q2");
    CHECK(out[2].msg_id == "q3");
    CHECK(out[1].to == std::vector<std::string>{"bob", "carol"});
    CHECK(out[1].text == "hi q2");
    CHECK(out[1].time_ms == 1000);
    store->dequeue("q2");
    CHECK(store->outbox().size() == 2);
    CHECK_FALSE(store->queued("q2"));
    CHECK(store->queued("q3"));
  }  // the destructor finishes the queued delete
  {
    auto store = f.open();
    REQUIRE(store->outbox().size() == 2);
    CHECK(store->outbox()[0].msg_id == "q1");
    CHECK(store->outbox()[1].msg_id == "q3");
  }
  MessageStore other(f.options(365, "bob@127.0.0.1:7878"), f.io().get_executor());
  CHECK(other.outbox().empty());
}

TEST_CASE("message store: history older than --history-days is pruned at open; 0 keeps it") {
  Fixture f;
  const std::int64_t now = now_ms();
  {
    auto store = f.open(0);
    CHECK(f.added(*store, line("ancient", "bob", {"alice"}, false, now - 1000 * kDayMs)));
    CHECK(f.added(*store, line("old", "bob", {"alice"}, false, now - 40 * kDayMs)));
    CHECK(f.added(*store, line("new", "bob", {"alice"}, false, now - 1 * kDayMs)));
  }
  {
    auto store = f.open(0);
    CHECK(f.history(*store, "").size() == 3);
  }
  {
    auto store = f.open(365);
    CHECK(ids(f.history(*store, "")) == std::vector<std::string>{"old", "new"});
  }
  {
    auto store = f.open(30);
    CHECK(ids(f.history(*store, "bob")) == std::vector<std::string>{"new"});
  }
}

TEST_CASE("message store: the loop never writes; calls return before the disk is done") {
  Fixture f;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex mutex;
  std::set<std::thread::id> committers;
  MessageStoreOptions options = f.options();
  options.before_commit = [&] {
    {
      std::lock_guard lock(mutex);
      committers.insert(std::this_thread::get_id());
    }
    released.wait();  // the disk is "slow" until the test says otherwise
  };
  MessageStore store(options, f.io().get_executor());
  // Lets the store's thread go even if a check below throws, so the destructor can join.
  struct ReleaseOnExit {
    std::promise<void>& promise;
    bool done = false;
    void now() {
      if (!std::exchange(done, true)) promise.set_value();
    }
    ~ReleaseOnExit() { now(); }
  } release_on_exit{release};

  // The prune at open is held in the hook; everything below queues behind it.
  std::optional<bool> durable;
  store.enqueue(QueuedMessage{"q1", {"bob"}, "hi", 1}, [&](bool ok) { durable = ok; });
  store.mark_seen("bob", "x", now_ms());
  store.add(line("m1", "alice", {"bob"}, true));
  // What a received message's acknowledgement waits for.
  std::optional<bool> all_on_disk;
  store.after_writes([&](bool ok) { all_on_disk = ok; });
  CHECK(store.outbox().size() == 1);
  CHECK(store.queued("q1"));
  CHECK(store.seen("bob", "x"));
  f.io().poll();
  CHECK_FALSE(durable.has_value());
  CHECK_FALSE(all_on_disk.has_value());

  release_on_exit.now();
  REQUIRE(f.run_until([&] { return durable.has_value() && all_on_disk.has_value(); }));
  CHECK(*durable);
  CHECK(*all_on_disk);
  CHECK(f.history(store, "").size() == 1);
  std::lock_guard lock(mutex);
  REQUIRE_FALSE(committers.empty());
  CHECK_FALSE(committers.contains(std::this_thread::get_id()));
}

TEST_CASE("message store: a file that is not a database is a clear error") {
  Fixture f;
  parley::test::write_text(f.dir() / "messages.db", std::string(8192, 'z'));
  try {
    f.open();
    FAIL("opening garbage succeeded");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.find("messages.db") != std::string::npos);
    CHECK(what.find("not a database") != std::string::npos);
  }
}
