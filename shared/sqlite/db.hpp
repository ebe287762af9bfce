// SQLite's C API the way Parley's stores (the server's and the peer's) use it: owning
// handles, statements that reset themselves after each use, errors as exceptions.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sqlite {

struct SqliteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(sqlite3* db, std::string_view what);

struct CloseDb {
  // close_v2 tolerates statements that are still alive, so destruction order cannot leak.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;

struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

StmtPtr prepare(sqlite3* db, std::string_view sql, unsigned flags = SQLITE_PREPARE_PERSISTENT);
void exec(sqlite3* db, const std::string& sql);

// One use of a prepared statement. Resetting on scope exit means a statement never keeps
// a read snapshot open (which would stall WAL checkpoints) or holds on to bound values.
class Use {
 public:
  Use(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Use(sqlite3* db, const StmtPtr& stmt) : Use(db, stmt.get()) {}
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  ~Use() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  Use& bind(int index, std::string_view text) {
    check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
  }
  Use& bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value));
    return *this;
  }
  Use& bind_null(int index) {
    check(sqlite3_bind_null(stmt_, index));
    return *this;
  }
  Use& bind_blob(int index, std::string_view bytes) {
    check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return *this;
  }

  // True while there is a row to read.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, sqlite3_sql(stmt_));
  }
  void run() {
    while (step()) {
    }
  }

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string blob(int column) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(db_, "bind");
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// The first column of the first row, as text ("" if there is none).
std::string query_text(sqlite3* db, std::string_view sql);

// Opens (creating it, private to this user) the database at `path` in WAL mode with
// synchronous=FULL. Throws std::runtime_error with a message fit for the user.
DbPtr open_database(const std::filesystem::path& path);

// A list of user names kept in one column, comma-separated (names never hold a comma).
std::string join_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(std::string_view joined);

// Schema upgrades in order: step i takes `PRAGMA user_version` from i to i+1. Never edit
// a step that has shipped; add one. Throws if the file is newer than `steps` knows.
void migrate(sqlite3* db, std::span<const std::string_view> steps);

}  // namespace parley::sqlite
