#include "shared/sqlite/db.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "shared/util/parse.hpp"

namespace parley::sqlite {
namespace {

// WAL growth: SQLite's automatic PASSIVE checkpoint runs on the writing thread when a
// commit leaves the WAL above 1000 pages. It cannot shrink the file, so
// journal_size_limit truncates it after a checkpoint has reset it.
constexpr int kWalAutocheckpointPages = 1000;
constexpr std::int64_t kJournalSizeLimitBytes = 64 * 1024 * 1024;
constexpr int kBusyTimeoutMs = 5000;

// Databases hold private messages. SQLite creates files 0644 and gives its -wal and -shm
// files the main file's mode, so creating the main file 0600 ourselves covers all three.
void create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  struct stat st {};
  if (errno == EEXIST && ::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    spdlog::warn("{} is accessible to other users (mode {:o}); consider chmod 600", path.string(),
                 st.st_mode & 0777);
  }
  // Any other failure is reported by sqlite3_open_v2 with a better message.
}

}  // namespace

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw SqliteError(std::string(what) + ": " + sqlite3_errmsg(db));
}

StmtPtr prepare(sqlite3* db, std::string_view sql, unsigned flags) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr) != SQLITE_OK) {
    fail(db, "prepare '" + std::string(sql) + "'");
  }
  return StmtPtr(stmt);
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw SqliteError(sql.substr(0, 60) + ": " + what);
  }
}

std::string query_text(sqlite3* db, std::string_view sql) {
  const StmtPtr stmt = prepare(db, sql, 0);
  Use use(db, stmt.get());
  return use.step() ? use.text(0) : std::string();
}

DbPtr open_database(const std::filesystem::path& path) {
  create_private_file(path);
  sqlite3* raw = nullptr;
  // NOMUTEX: after opening, only the owner's one thread touches the connection.
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    throw std::runtime_error("cannot open database " + path.string() + ": " +
                             (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  // Set first: switching to WAL and migrating take locks another process may hold.
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  try {
    if (query_text(db.get(), "PRAGMA journal_mode=WAL") != "wal") {
      throw std::runtime_error("cannot use WAL journaling");
    }
    exec(db.get(), "PRAGMA synchronous=FULL");
    exec(db.get(), "PRAGMA foreign_keys=ON");
    exec(db.get(), "PRAGMA wal_autocheckpoint=" + std::to_string(kWalAutocheckpointPages));
    exec(db.get(), "PRAGMA journal_size_limit=" + std::to_string(kJournalSizeLimitBytes));
  } catch (const std::exception& e) {
    // A file that is not a database first fails here ("file is not a database").
    throw std::runtime_error("cannot use database " + path.string() + ": " + e.what());
  }
  return db;
}

void migrate(sqlite3* db, std::span<const std::string_view> steps) {
  const int latest = static_cast<int>(steps.size());
  // IMMEDIATE takes the write lock before reading the version, so two processes starting
  // on the same database cannot both run the same step.
  exec(db, "BEGIN IMMEDIATE");
  try {
    const std::string text = query_text(db, "PRAGMA user_version");
    const auto parsed = parse_decimal<int>(text);
    if (!parsed) throw std::runtime_error("database schema version '" + text + "' is not one of Parley's");
    const int version = *parsed;
    if (version > latest) {
      throw std::runtime_error("database schema version " + std::to_string(version) +
                               " is newer than this program supports (" + std::to_string(latest) + ")");
    }
    for (int step = version; step < latest; ++step) exec(db, std::string(steps[step]));
    if (version != latest) exec(db, "PRAGMA user_version=" + std::to_string(latest));
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

std::vector<std::string> split_list(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    const auto comma = joined.find(',');
    out.emplace_back(joined.substr(0, comma));
    joined.remove_prefix(comma == std::string_view::npos ? joined.size() : comma + 1);
  }
  return out;
}

}  // namespace parley::sqlite
