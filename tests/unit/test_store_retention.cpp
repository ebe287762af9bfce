// The store's start-up keeps the login history bounded: rows older than 90 days go.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <asio/io_context.hpp>

#include "server/storage/sqlite_store.hpp"
#include "shared/util/time.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley;
using namespace parley::server;

namespace {

std::int64_t count_logins(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM logins", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const std::int64_t n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE(
    "store: login history older than 90 days is deleted at start-up; recent history and last-seen stay") {
  test::TempDir dir;
  const auto path = dir / "parley.db";
  const std::int64_t now = now_ms();
  const std::int64_t old = now - std::int64_t{91} * 24 * 3600 * 1000;
  {
    asio::io_context io;
    auto store = open_sqlite_store(path, io.get_executor());
    store->write({op::RecordLogin{"alice", old, "10.0.0.1:1"}, op::RecordLogout{"alice", old + 1000, "bye"},
                  op::RecordLogin{"carol", old, "10.0.0.3:1"},  // never closed: a crash
                  op::RecordLogin{"bob", now - 1000, "10.0.0.2:1"}, op::RecordLogout{"bob", now, "bye"}},
                 {});
    store->flush();
  }
  CHECK(count_logins(path) == 3);
  asio::io_context io;
  auto store = open_sqlite_store(path, io.get_executor());
  auto state = store->load();
  CHECK(count_logins(path) == 1);  // bob's
  CHECK(state.last_seen_ms.at("alice") == old + 1000);
  CHECK(state.last_seen_ms.at("carol") == old);
}
