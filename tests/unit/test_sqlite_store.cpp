#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/storage/sqlite_store.hpp"
#include "shared/util/time.hpp"
#include "tests/support/temp_dir.hpp"

namespace op = parley::server::op;
using parley::server::open_sqlite_store;
using parley::server::PersistedState;
using parley::server::Store;
using parley::server::StoredMessage;
using parley::server::WriteOp;

namespace {

// The database file inside a fresh temporary directory.
class ScratchDir {
 public:
  std::filesystem::path db() const { return dir_ / "parley.db"; }

 private:
  parley::test::TempDir dir_;
};

// A second, independent connection: sees only what the store has committed.
class Observer {
 public:
  explicit Observer(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      sqlite3_close(db_);
      throw std::runtime_error("observer cannot open database");
    }
  }
  ~Observer() { sqlite3_close(db_); }
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  std::int64_t integer(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const std::int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }
  std::optional<std::string> text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::optional<std::string> value;
    if (const auto* p = sqlite3_column_text(stmt, 0)) value = reinterpret_cast<const char*>(p);
    sqlite3_finalize(stmt);
    return value;
  }
  void exec(const std::string& sql) {
    REQUIRE(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  }

 private:
  sqlite3* db_ = nullptr;
};

// Each with the next seq, as the registry hands them out.
StoredMessage message(std::string from, std::string to, std::string id, std::string text = "hello") {
  static std::int64_t last_seq = 0;
  StoredMessage m;
  m.seq = ++last_seq;
  m.msg_id = std::move(id);
  m.from = std::move(from);
  m.to = std::move(to);
  m.text = std::move(text);
  m.sent_ms = 1700000000000;
  return m;
}

// Runs every completion the store has posted so far.
void settle(Store& store, asio::io_context& io) {
  store.flush();
  io.restart();
  io.run();
}

bool write_and_wait(Store& store, asio::io_context& io, std::vector<WriteOp> ops) {
  std::optional<bool> result;
  store.write(std::move(ops), [&](bool ok) { result = ok; });
  settle(store, io);
  REQUIRE(result.has_value());
  return *result;
}

std::vector<StoredMessage> fetch(Store& store, asio::io_context& io, const std::string& user,
                                 std::size_t limit = 1000, std::int64_t after_seq = 0,
                                 std::int64_t before_seq = INT64_MAX) {
  std::optional<std::vector<StoredMessage>> result;
  store.fetch_offline(user, after_seq, before_seq, limit,
                      [&](std::vector<StoredMessage> messages) { result = std::move(messages); });
  settle(store, io);
  REQUIRE(result.has_value());
  return *result;
}

}  // namespace

TEST_CASE("store: offline messages are fetched oldest first with all fields") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());

  CHECK(write_and_wait(*store, io, {op::PutOffline{message("alice", "bob", "m1", "first")}}));
  auto group_message = message("alice", "bob", "m2", "to both");
  group_message.group = {"bob", "carol"};
  CHECK(write_and_wait(*store, io,
                       {op::PutOffline{group_message}, op::PutOffline{message("carol", "bob", "m3")}}));
  CHECK(write_and_wait(*store, io, {op::PutOffline{message("alice", "dave", "other")}}));

  const auto got = fetch(*store, io, "bob");
  REQUIRE(got.size() == 3);
  CHECK(got[0].msg_id == "m1");
  CHECK(got[0].from == "alice");
  CHECK(got[0].to == "bob");
  CHECK(got[0].text == "first");
  CHECK(got[0].group.empty());
  CHECK(got[0].sent_ms == 1700000000000);
  CHECK(got[1].msg_id == "m2");
  CHECK(got[1].group == std::vector<std::string>{"bob", "carol"});
  CHECK(got[2].msg_id == "m3");
  CHECK(got[0].seq < got[1].seq);
  CHECK(got[1].seq < got[2].seq);

  const auto first_two = fetch(*store, io, "bob", 2);
  REQUIRE(first_two.size() == 2);
  CHECK(first_two[1].msg_id == "m2");
  CHECK(fetch(*store, io, "nobody").empty());
  // Only between the two seqs given (a session's cursor and its login).
  const auto middle = fetch(*store, io, "bob", 10, got[0].seq, got[2].seq);
  REQUIRE(middle.size() == 1);
  CHECK(middle[0].msg_id == "m2");
}

TEST_CASE("store: the rows of a group message share one seq; load gives every row and the reservation") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  auto to_bob = message("alice", "bob", "g", "to both");
  auto to_carol = to_bob;
  to_carol.to = "carol";
  CHECK(
      write_and_wait(*store, io, {op::PutOffline{to_bob}, op::PutOffline{to_carol}, op::ReserveSeqs{5000}}));
  CHECK(write_and_wait(*store, io, {op::ReserveSeqs{4000}}));  // never backwards
  const PersistedState state = store->load();
  REQUIRE(state.mailbox.size() == 2);
  CHECK(state.mailbox[0].seq == to_bob.seq);
  CHECK(state.mailbox[1].seq == to_bob.seq);
  CHECK(state.mailbox[0].from == "alice");
  CHECK(state.mailbox[0].msg_id == "g");
  CHECK(state.mailbox[0].bytes == std::string("to both").size());  // for the quotas
  CHECK(state.seq_reserved == 5000);
  CHECK(write_and_wait(*store, io, {op::AckOffline{"bob", {to_bob.seq}}}));
  CHECK(fetch(*store, io, "bob").empty());
  CHECK(fetch(*store, io, "carol").size() == 1);
}

TEST_CASE("store: a version 3 database's offline messages move into the mailbox, seqs reserved past them") {
  ScratchDir dir;
  {
    asio::io_context io;
    auto store = open_sqlite_store(dir.db(), io.get_executor());
  }
  {
    // Back to what version 3 had: offline_messages with its AUTOINCREMENT seq.
    Observer old(dir.db());
    old.exec("DROP TABLE mailbox; DROP TABLE meta;");
    old.exec(
        "CREATE TABLE offline_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT NOT NULL, "
        "sender TEXT NOT NULL, recipient TEXT NOT NULL, grp TEXT, text TEXT NOT NULL, sent_ms INTEGER NOT "
        "NULL)");
    old.exec(
        "INSERT INTO offline_messages (seq, msg_id, sender, recipient, text, sent_ms) "
        "VALUES (41, 'old', 'alice', 'bob', 'kept', 1)");
    old.exec("PRAGMA user_version = 3");
  }
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  const PersistedState state = store->load();
  REQUIRE(state.mailbox.size() == 1);
  CHECK(state.mailbox[0].seq == 41);
  CHECK(state.mailbox[0].msg_id == "old");
  CHECK(state.seq_reserved == 42);
  const auto got = fetch(*store, io, "bob");
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "kept");
}

TEST_CASE("store: a fetch sees writes submitted before it, without waiting for them") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  std::vector<std::string> events;
  store->write({op::PutOffline{message("alice", "bob", "a")}},
               [&](bool ok) { events.push_back(ok ? "w1" : "f1"); });
  store->fetch_offline("bob", 0, INT64_MAX, 10, [&](std::vector<StoredMessage> m) {
    events.push_back("fetch" + std::to_string(m.size()));
  });
  store->write({op::PutOffline{message("alice", "bob", "b")}},
               [&](bool ok) { events.push_back(ok ? "w2" : "f2"); });
  store->fetch_offline("bob", 0, INT64_MAX, 10, [&](std::vector<StoredMessage> m) {
    events.push_back("fetch" + std::to_string(m.size()));
  });
  settle(*store, io);
  CHECK(events == std::vector<std::string>{"w1", "fetch1", "w2", "fetch2"});
}

TEST_CASE("store: AckOffline deletes only the acknowledging user's messages") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  CHECK(
      write_and_wait(*store, io,
                     {op::PutOffline{message("x", "alice", "a1")}, op::PutOffline{message("x", "bob", "b1")},
                      op::PutOffline{message("x", "bob", "b2")}}));
  const auto alice = fetch(*store, io, "alice");
  const auto bob = fetch(*store, io, "bob");
  REQUIRE(alice.size() == 1);
  REQUIRE(bob.size() == 2);

  // bob acknowledges his first message, alice's message, and a seq that does not exist.
  CHECK(write_and_wait(*store, io, {op::AckOffline{"bob", {bob[0].seq, alice[0].seq, 999999}}}));
  const auto bob_after = fetch(*store, io, "bob");
  REQUIRE(bob_after.size() == 1);
  CHECK(bob_after[0].msg_id == "b2");
  CHECK(fetch(*store, io, "alice").size() == 1);
}

TEST_CASE("store: blocks, locks and last_seen survive a restart") {
  ScratchDir dir;
  const std::int64_t now = parley::now_ms();
  const std::int64_t hour = 3600 * 1000;
  {
    asio::io_context io;
    auto store = open_sqlite_store(dir.db(), io.get_executor());
    const PersistedState empty = store->load();
    CHECK(empty.blocks.empty());
    CHECK(empty.locked_until_ms.empty());
    CHECK(empty.last_seen_ms.empty());

    CHECK(write_and_wait(*store, io,
                         {op::SetBlock{"alice", "bob", true}, op::SetBlock{"alice", "carol", true},
                          op::SetBlock{"bob", "alice", true}, op::SetBlock{"alice", "bob", true}}));
    CHECK(write_and_wait(*store, io, {op::SetBlock{"alice", "carol", false}}));
    CHECK(write_and_wait(*store, io,
                         {op::SetLock{"mallory", now + hour}, op::SetLock{"expired", now - 1000},
                          op::SetLock{"forgiven", now + hour}}));
    CHECK(write_and_wait(*store, io, {op::SetLock{"forgiven", 0}, op::SetLock{"mallory", now + 2 * hour}}));
    CHECK(write_and_wait(
        *store, io,
        {op::RecordLogin{"alice", now - 5000, "127.0.0.1:5000"},
         op::RecordLogout{"alice", now - 4000, "logout"}, op::RecordLogin{"bob", now - 3000, "[::1]:1"}}));
  }
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  const PersistedState state = store->load();
  CHECK(state.blocks == std::vector<std::pair<std::string, std::string>>{{"alice", "bob"}, {"bob", "alice"}});
  CHECK(state.locked_until_ms == std::map<std::string, std::int64_t>{{"mallory", now + 2 * hour}});
  CHECK(state.last_seen_ms ==
        std::map<std::string, std::int64_t>{{"alice", now - 4000}, {"bob", now - 3000}});
}

TEST_CASE("store: login history") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  CHECK(write_and_wait(*store, io, {op::RecordLogin{"alice", 1000, "10.0.0.1:1"}}));
  CHECK(write_and_wait(*store, io, {op::RecordLogin{"alice", 2000, "10.0.0.2:2"}}));
  CHECK(write_and_wait(*store, io, {op::RecordLogout{"alice", 3000, "timeout"}}));

  Observer db(dir.db());
  CHECK(db.integer("SELECT count(*) FROM logins") == 2);
  // Only the latest open session is closed.
  CHECK(db.integer("SELECT logout_ms FROM logins WHERE address = '10.0.0.2:2'") == 3000);
  CHECK(db.text("SELECT reason FROM logins WHERE address = '10.0.0.2:2'") == "timeout");
  CHECK_FALSE(db.text("SELECT logout_ms FROM logins WHERE address = '10.0.0.1:1'").has_value());
  CHECK(db.integer("SELECT at_ms FROM last_seen WHERE user = 'alice'") == 3000);

  CHECK(write_and_wait(*store, io, {op::RecordLogout{"alice", 4000, "again"}}));
  CHECK(db.integer("SELECT logout_ms FROM logins WHERE address = '10.0.0.1:1'") == 4000);
  CHECK(write_and_wait(*store, io, {op::RecordLogout{"alice", 5000, "nothing open"}}));
  CHECK(db.integer("SELECT count(*) FROM logins WHERE logout_ms = 5000") == 0);
  CHECK(db.integer("SELECT at_ms FROM last_seen WHERE user = 'alice'") == 5000);
}

TEST_CASE("store: group commit of a burst keeps order and reports each write") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  constexpr int kWrites = 200;
  std::vector<int> completed;
  int failures = 0;
  for (int i = 0; i < kWrites; ++i) {
    store->write({op::PutOffline{message("alice", "bob", "id" + std::to_string(i))}}, [&, i](bool ok) {
      completed.push_back(i);
      if (!ok) ++failures;
    });
  }
  settle(*store, io);
  CHECK(failures == 0);
  REQUIRE(completed.size() == kWrites);
  for (int i = 0; i < kWrites; ++i) CHECK(completed[static_cast<std::size_t>(i)] == i);

  const auto got = fetch(*store, io, "bob");
  REQUIRE(got.size() == kWrites);
  for (int i = 0; i < kWrites; ++i) {
    CHECK(got[static_cast<std::size_t>(i)].msg_id == "id" + std::to_string(i));
    if (i > 0) CHECK(got[static_cast<std::size_t>(i)].seq > got[static_cast<std::size_t>(i) - 1].seq);
  }
}

TEST_CASE("store: one failing write does not fail the others queued with it") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  constexpr std::size_t kWrites = 21;
  constexpr std::size_t kBad = 10;
  std::vector<std::optional<bool>> results(kWrites);
  {
    // Holding the write lock parks the store thread in its first BEGIN (busy_timeout), so
    // the jobs queue up and the bad one is certain to share a transaction with good ones.
    Observer other_server(dir.db());
    other_server.exec("BEGIN IMMEDIATE");
    for (std::size_t i = 0; i < kWrites; ++i) {
      std::vector<WriteOp> ops{op::PutOffline{message("alice", "bob", "good" + std::to_string(i))}};
      // The empty sender violates a CHECK constraint; the job is atomic, so its first op must vanish too.
      if (i == kBad) ops.push_back(op::PutOffline{message("", "bob", "bad")});
      store->write(std::move(ops), [&results, i](bool ok) { results[i] = ok; });
    }
    other_server.exec("COMMIT");
  }
  settle(*store, io);
  for (std::size_t i = 0; i < kWrites; ++i) {
    CAPTURE(i);
    REQUIRE(results[i].has_value());
    CHECK(*results[i] == (i != kBad));
  }
  const auto got = fetch(*store, io, "bob");
  REQUIRE(got.size() == kWrites - 1);
  for (const auto& m : got) CHECK(m.msg_id != "good" + std::to_string(kBad));
}

TEST_CASE("store: done(true) is posted only after the data is committed") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  Observer observer(dir.db());
  // Completions run while the store is still working (no flush first), so a callback
  // posted before its COMMIT would look for its row too early.
  auto work = asio::make_work_guard(io);
  constexpr int kWrites = 20;
  int completed = 0;
  int missing = 0;
  for (int i = 0; i < kWrites; ++i) {
    // Appending, not "m" + to_string(i): GCC 12 at -O3 reports a bogus -Wrestrict for that.
    std::string id = "m";
    id += std::to_string(i);
    store->write({op::PutOffline{message("alice", "bob", id)}}, [&, id](bool ok) {
      CHECK(ok);
      const auto rows = observer.integer("SELECT count(*) FROM mailbox WHERE msg_id = '" + id + "'");
      if (rows != 1) ++missing;
      ++completed;
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (completed < kWrites && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::seconds(1));
  }
  CHECK(completed == kWrites);
  CHECK(missing == 0);
}

TEST_CASE("store: schema version, private files, refuses a newer schema") {
  ScratchDir dir;
  {
    asio::io_context io;
    auto store = open_sqlite_store(dir.db(), io.get_executor());
    CHECK(write_and_wait(*store, io, {op::SetBlock{"a", "b", true}}));
    Observer db(dir.db());
    // 1: chat, 2: files, 3: signed-up accounts, 4: mailbox, 5: resumption tokens
    CHECK(db.integer("PRAGMA user_version") == 5);
    CHECK(db.text("PRAGMA journal_mode") == "wal");
    for (const char* suffix : {"", "-wal", "-shm"}) {
      CAPTURE(suffix);
      struct stat st {};
      REQUIRE(::stat((dir.db().string() + suffix).c_str(), &st) == 0);
      CHECK((st.st_mode & 077) == 0);
    }
  }
  {
    Observer db(dir.db());
    db.exec("PRAGMA user_version = 99");
  }
  asio::io_context io;
  CHECK_THROWS_AS(open_sqlite_store(dir.db(), io.get_executor()), std::runtime_error);
}

TEST_CASE("store: an unopenable path throws") {
  ScratchDir dir;
  asio::io_context io;
  CHECK_THROWS_AS(open_sqlite_store(dir.db().parent_path() / "missing" / "x.db", io.get_executor()),
                  std::runtime_error);
}

TEST_CASE("store: registered files and holdings survive a reopen; an empty holding is removed") {
  ScratchDir dir;
  parley::server::StoredFile movie{
      "movie.mkv", "alice", 1000, 2, std::string(32, 'F'), {std::string(32, '\x01'), std::string(32, '\0')},
      123};
  {
    asio::io_context io;
    auto store = open_sqlite_store(dir.db(), io.get_executor());
    REQUIRE(write_and_wait(*store, io,
                           {op::PutFile{movie}, op::SetHolding{{"movie.mkv", "alice", "\x03"}},
                            op::SetHolding{{"movie.mkv", "bob", "\x02"}}}));
    REQUIRE(write_and_wait(*store, io, {op::SetHolding{{"movie.mkv", "bob", std::string(1, '\0')}}}));
    // The same name twice is refused by the database, whatever the registry thought.
    CHECK_FALSE(write_and_wait(*store, io, {op::PutFile{movie}}));
  }
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  auto state = store->load();
  REQUIRE(state.files.size() == 1);
  CHECK(state.files[0].name == "movie.mkv");
  CHECK(state.files[0].owner == "alice");
  CHECK(state.files[0].size == 1000);
  CHECK(state.files[0].file_hash == std::string(32, 'F'));
  // The digests stay on disk until asked for: start-up does not grow with them.
  CHECK(state.files[0].chunk_hashes.empty());
  CHECK(state.files[0].chunk_count == 2);
  std::optional<std::vector<std::string>> hashes;
  store->fetch_chunk_hashes("movie.mkv", [&](std::vector<std::string> h) { hashes = std::move(h); });
  settle(*store, io);
  REQUIRE(hashes);
  CHECK(*hashes == movie.chunk_hashes);  // binary digests, NUL bytes and all
  hashes.reset();
  store->fetch_chunk_hashes("nothing", [&](std::vector<std::string> h) { hashes = std::move(h); });
  settle(*store, io);
  REQUIRE(hashes);
  CHECK(hashes->empty());
  REQUIRE(state.holdings.size() == 1);
  CHECK(state.holdings[0].user == "alice");
  CHECK(state.holdings[0].chunks == "\x03");
}

TEST_CASE("store: signed-up accounts survive a reopen; a case variant of a taken name is refused") {
  ScratchDir dir;
  {
    asio::io_context io;
    auto store = open_sqlite_store(dir.db(), io.get_executor());
    REQUIRE(write_and_wait(*store, io, {op::PutAccount{"Newbie", "$scrypt$hash", 5}}));
    // Two sign-ups that raced past every other check still cannot both become accounts.
    CHECK_FALSE(write_and_wait(*store, io, {op::PutAccount{"newbie", "$scrypt$other", 6}}));
    CHECK_FALSE(write_and_wait(*store, io, {op::PutAccount{"Newbie", "$scrypt$other", 6}}));
  }
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  auto state = store->load();
  REQUIRE(state.accounts.size() == 1);
  CHECK(state.accounts[0] == std::pair<std::string, std::string>{"Newbie", "$scrypt$hash"});
}

TEST_CASE("store: resumption tokens are stored by hash, deleted, and loaded back") {
  ScratchDir dir;
  asio::io_context io;
  auto store = open_sqlite_store(dir.db(), io.get_executor());
  const parley::server::StoredToken a{std::string(32, 'a'), "alice", 1, 100, "cred-a"};
  const parley::server::StoredToken b{std::string(32, 'b'), "alice", 2, 200, "cred-a"};
  const parley::server::StoredToken c{std::string(32, 'c'), "bob", 3, 300, "cred-b"};
  CHECK(write_and_wait(*store, io, {op::TokenChanges{{a, b, c}, {}}}));
  CHECK(write_and_wait(*store, io, {op::TokenChanges{{}, {b.hash}}}));
  auto state = store->load();
  REQUIRE(state.resume_tokens.size() == 2);
  std::sort(state.resume_tokens.begin(), state.resume_tokens.end(),
            [](const auto& x, const auto& y) { return x.issued_ms < y.issued_ms; });
  CHECK(state.resume_tokens[0].hash == a.hash);
  CHECK(state.resume_tokens[0].user == "alice");
  CHECK(state.resume_tokens[0].expires_ms == 100);
  CHECK(state.resume_tokens[0].credential == "cred-a");
  CHECK(state.resume_tokens[1].user == "bob");
}
