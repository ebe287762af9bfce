#include "server/storage/sqlite_store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <iterator>
#include <limits>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "shared/util/time.hpp"

namespace parley::server {
namespace {

// Schema upgrades in order: step i takes `PRAGMA user_version` from i to i+1. Add new
// tables (files, chunks, ...) as a new step at the end; never edit a step that has shipped,
// because existing databases have already run it.
constexpr std::string_view kMigrations[] = {
    // 1: initial schema.
    R"sql(
-- AUTOINCREMENT so a seq is never reused: a late acknowledgement of a deleted message
-- must not delete a newer one that happened to get the same number.
CREATE TABLE IF NOT EXISTS offline_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  msg_id TEXT NOT NULL,
  sender TEXT NOT NULL CHECK (sender <> ''),
  recipient TEXT NOT NULL CHECK (recipient <> ''),
  grp TEXT,
  text TEXT NOT NULL,
  sent_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS offline_messages_by_recipient ON offline_messages (recipient);

CREATE TABLE IF NOT EXISTS blocks (
  blocker TEXT NOT NULL CHECK (blocker <> ''),
  blocked TEXT NOT NULL CHECK (blocked <> ''),
  PRIMARY KEY (blocker, blocked)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS locks (
  user TEXT NOT NULL PRIMARY KEY CHECK (user <> ''),
  until_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS logins (
  id INTEGER PRIMARY KEY,
  user TEXT NOT NULL CHECK (user <> ''),
  login_ms INTEGER NOT NULL,
  logout_ms INTEGER,
  address TEXT NOT NULL,
  reason TEXT
);
CREATE INDEX IF NOT EXISTS logins_by_user ON logins (user);

CREATE TABLE IF NOT EXISTS last_seen (
  user TEXT NOT NULL PRIMARY KEY CHECK (user <> ''),
  at_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 2: the file and chunk registry.
    R"sql(
CREATE TABLE IF NOT EXISTS files (
  name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
  owner TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0),
  chunk_count INTEGER NOT NULL CHECK (chunk_count > 0),
  file_hash BLOB NOT NULL,
  chunk_hashes BLOB NOT NULL,  -- chunk_count raw SHA-256 digests, concatenated
  registered_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS holdings (
  name TEXT NOT NULL REFERENCES files (name),
  user TEXT NOT NULL CHECK (user <> ''),
  chunks BLOB NOT NULL,        -- bitfield
  PRIMARY KEY (name, user)
) WITHOUT ROWID;
)sql",
    // 3: accounts created by sign-up (the credentials file stays read-only)
    R"sql(
CREATE TABLE IF NOT EXISTS accounts (
  name TEXT PRIMARY KEY COLLATE NOCASE CHECK (name <> ''),  -- "Alice" and "alice" are one name
  hash TEXT NOT NULL,          -- self-describing scrypt hash, as in the credentials file
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// WAL growth: we rely on SQLite's automatic PASSIVE checkpoint, which runs on this
// thread when a commit leaves the WAL above 1000 pages. It cannot shrink the file, so
// journal_size_limit truncates it after a checkpoint has reset it.
constexpr int kWalAutocheckpointPages = 1000;
constexpr std::int64_t kJournalSizeLimitBytes = 64 * 1024 * 1024;
constexpr int kBusyTimeoutMs = 5000;

struct SqliteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw SqliteError(std::string(what) + ": " + sqlite3_errmsg(db));
}

struct CloseDb {
  // close_v2 tolerates statements that are still alive, so destruction order cannot leak.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;

struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

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

// One use of a prepared statement. Resetting on scope exit means a statement never keeps
// a read snapshot open (which would stall WAL checkpoints) or holds on to bound values.
class Use {
 public:
  Use(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
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

  Use& bind_blob(int index, std::string_view bytes) {
    check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return *this;
  }
  std::string blob(int column) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
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

std::string query_text(sqlite3* db, std::string_view sql) {
  const StmtPtr stmt = prepare(db, sql, 0);
  Use use(db, stmt.get());
  return use.step() ? use.text(0) : std::string();
}

std::string join_group(const std::vector<std::string>& group) {
  std::string out;
  for (const auto& name : group) {
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

std::vector<std::string> split_group(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    const auto comma = joined.find(',');
    out.emplace_back(joined.substr(0, comma));
    joined.remove_prefix(comma == std::string_view::npos ? joined.size() : comma + 1);
  }
  return out;
}

// The database holds private messages. SQLite creates files 0644 and gives its -wal and
// -shm files the main file's mode, so creating the main file 0600 ourselves covers all three.
void create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  struct stat st {};
  if (errno == EEXIST && ::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    spdlog::warn("store: {} is accessible to other users (mode {:o}); consider chmod 600", path.string(),
                 st.st_mode & 0777);
  }
  // Any other failure is reported by sqlite3_open_v2 with a better message.
}

DbPtr open_database(const std::filesystem::path& path) {
  create_private_file(path);
  sqlite3* raw = nullptr;
  // NOMUTEX: after construction only the store's thread touches the connection.
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    throw std::runtime_error("cannot open database " + path.string() + ": " +
                             (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  // Set first: switching to WAL and migrating take locks another server may hold.
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  if (query_text(db.get(), "PRAGMA journal_mode=WAL") != "wal") {
    throw std::runtime_error("database " + path.string() + " cannot use WAL journaling");
  }
  exec(db.get(), "PRAGMA synchronous=FULL");
  exec(db.get(), "PRAGMA foreign_keys=ON");
  exec(db.get(), "PRAGMA wal_autocheckpoint=" + std::to_string(kWalAutocheckpointPages));
  exec(db.get(), "PRAGMA journal_size_limit=" + std::to_string(kJournalSizeLimitBytes));
  return db;
}

void migrate(sqlite3* db) {
  // IMMEDIATE takes the write lock before reading the version, so two servers starting
  // on the same database cannot both run the same step.
  exec(db, "BEGIN IMMEDIATE");
  try {
    const auto version = std::stoi(query_text(db, "PRAGMA user_version"));
    if (version > kSchemaVersion) {
      throw std::runtime_error("database schema version " + std::to_string(version) +
                               " is newer than this server supports (" + std::to_string(kSchemaVersion) +
                               ")");
    }
    for (int step = version; step < kSchemaVersion; ++step) exec(db, std::string(kMigrations[step]));
    if (version != kSchemaVersion) exec(db, "PRAGMA user_version=" + std::to_string(kSchemaVersion));
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// Statements used for the connection's whole life, prepared once.
struct Statements {
  explicit Statements(sqlite3* db)
      : begin(prep(db, "BEGIN IMMEDIATE")),
        commit(prep(db, "COMMIT")),
        rollback(prep(db, "ROLLBACK")),
        put_offline(prep(db,
                         "INSERT INTO offline_messages (msg_id, sender, recipient, grp, text, sent_ms) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
        ack_offline(prep(db, "DELETE FROM offline_messages WHERE seq = ?1 AND recipient = ?2")),
        fetch_offline(prep(db,
                           "SELECT seq, msg_id, sender, recipient, grp, text, sent_ms FROM offline_messages "
                           "WHERE recipient = ?1 ORDER BY seq LIMIT ?2")),
        add_block(prep(db, "INSERT OR IGNORE INTO blocks (blocker, blocked) VALUES (?1, ?2)")),
        remove_block(prep(db, "DELETE FROM blocks WHERE blocker = ?1 AND blocked = ?2")),
        set_lock(prep(db,
                      "INSERT INTO locks (user, until_ms) VALUES (?1, ?2) "
                      "ON CONFLICT (user) DO UPDATE SET until_ms = excluded.until_ms")),
        remove_lock(prep(db, "DELETE FROM locks WHERE user = ?1")),
        insert_login(prep(db, "INSERT INTO logins (user, login_ms, address) VALUES (?1, ?2, ?3)")),
        close_login(prep(db,
                         "UPDATE logins SET logout_ms = ?2, reason = ?3 WHERE id = "
                         "(SELECT max(id) FROM logins WHERE user = ?1 AND logout_ms IS NULL)")),
        set_last_seen(prep(db,
                           "INSERT INTO last_seen (user, at_ms) VALUES (?1, ?2) "
                           "ON CONFLICT (user) DO UPDATE SET at_ms = excluded.at_ms")),
        put_file(
            prep(db,
                 "INSERT INTO files (name, owner, size, chunk_count, file_hash, chunk_hashes, registered_ms) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")),
        set_holding(prep(db,
                         "INSERT INTO holdings (name, user, chunks) VALUES (?1, ?2, ?3) "
                         "ON CONFLICT (name, user) DO UPDATE SET chunks = excluded.chunks")),
        remove_holding(prep(db, "DELETE FROM holdings WHERE name = ?1 AND user = ?2")),
        put_account(prep(db, "INSERT INTO accounts (name, hash, created_ms) VALUES (?1, ?2, ?3)")) {}

  static StmtPtr prep(sqlite3* db, std::string_view sql) {
    return prepare(db, sql, SQLITE_PREPARE_PERSISTENT);
  }

  StmtPtr begin, commit, rollback;
  StmtPtr put_offline, ack_offline, fetch_offline;
  StmtPtr add_block, remove_block;
  StmtPtr set_lock, remove_lock;
  StmtPtr insert_login, close_login, set_last_seen;
  StmtPtr put_file, set_holding, remove_holding;
  StmtPtr put_account;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& path, asio::any_io_executor completions)
      : completions_(std::move(completions)), db_(open_database(path)) {
    migrate(db_.get());
    statements_ = std::make_unique<Statements>(db_.get());
    thread_ = std::thread([this] { run(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_one();
    thread_.join();
  }

  PersistedState load() override {
    std::promise<PersistedState> promise;
    auto result = promise.get_future();
    submit(LoadJob{std::move(promise)});
    return result.get();
  }

  void write(std::vector<WriteOp> ops, std::function<void(bool ok)> done) override {
    submit(WriteJob{std::move(ops), std::move(done)});
  }

  void fetch_offline(std::string user, std::size_t limit,
                     std::function<void(std::vector<StoredMessage>)> done) override {
    submit(FetchJob{std::move(user), limit, std::move(done)});
  }

  void flush() override {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = submitted_;
    all_done_.wait(lock, [&] { return completed_ >= target; });
  }

 private:
  struct WriteJob {
    std::vector<WriteOp> ops;
    std::function<void(bool)> done;
  };
  struct FetchJob {
    std::string user;
    std::size_t limit;
    std::function<void(std::vector<StoredMessage>)> done;
  };
  struct LoadJob {
    std::promise<PersistedState> result;
  };
  using Job = std::variant<WriteJob, FetchJob, LoadJob>;

  void submit(Job job) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(job));
      ++submitted_;
    }
    work_ready_.notify_one();
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been done
      std::vector<Job> batch = std::exchange(queue_, {});
      const std::uint64_t through = submitted_;
      lock.unlock();
      process(batch);
      batch.clear();
      lock.lock();
      completed_ = through;
      all_done_.notify_all();
    }
  }

  void process(std::vector<Job>& batch) {
    std::size_t i = 0;
    while (i < batch.size()) {
      if (std::holds_alternative<WriteJob>(batch[i])) {
        std::vector<WriteJob*> writes;
        for (; i < batch.size() && std::holds_alternative<WriteJob>(batch[i]); ++i) {
          writes.push_back(&std::get<WriteJob>(batch[i]));
        }
        commit_writes(writes);
      } else if (auto* fetch = std::get_if<FetchJob>(&batch[i])) {
        run_fetch(*fetch);
        ++i;
      } else {
        run_load(std::get<LoadJob>(batch[i]));
        ++i;
      }
    }
  }

  // Group commit: one transaction (one fsync) for every write that queued up meanwhile.
  void commit_writes(std::span<WriteJob* const> writes) {
    if (try_commit(writes)) {
      for (WriteJob* job : writes) post_result(*job, true);
      return;
    }
    if (writes.size() == 1) {
      post_result(*writes.front(), false);
      return;
    }
    // The batch mixes unrelated callers: retry each alone so one bad write fails only itself.
    for (WriteJob* job : writes) post_result(*job, try_commit(std::span(&job, 1)));
  }

  bool try_commit(std::span<WriteJob* const> writes) {
    try {
      Use(db(), statements_->begin.get()).run();
      for (const WriteJob* job : writes) {
        for (const WriteOp& op : job->ops) std::visit([this](const auto& o) { apply(o); }, op);
      }
      Use(db(), statements_->commit.get()).run();
      return true;
    } catch (const std::exception& e) {
      spdlog::error("store: transaction of {} write job(s) failed: {}", writes.size(), e.what());
      if (sqlite3_get_autocommit(db()) == 0) {
        try {
          Use(db(), statements_->rollback.get()).run();
        } catch (const std::exception& rollback_error) {
          spdlog::error("store: rollback failed: {}", rollback_error.what());
        }
      }
      return false;
    }
  }

  void apply(const op::PutOffline& put) {
    const StoredMessage& m = put.message;
    Use use(db(), statements_->put_offline.get());
    use.bind(1, m.msg_id).bind(2, m.from).bind(3, m.to);
    if (m.group.empty()) {
      use.bind_null(4);
    } else {
      use.bind(4, join_group(m.group));
    }
    use.bind(5, m.text).bind(6, m.sent_ms).run();
  }

  void apply(const op::AckOffline& ack) {
    for (const std::int64_t seq : ack.seqs) {
      Use(db(), statements_->ack_offline.get()).bind(1, seq).bind(2, ack.user).run();
    }
  }

  void apply(const op::PutAccount& put) {
    Use(db(), statements_->put_account.get())
        .bind(1, put.name)
        .bind(2, put.hash)
        .bind(3, put.created_ms)
        .run();
  }

  void apply(const op::PutFile& put) {
    const StoredFile& f = put.file;
    std::string hashes;
    for (const auto& h : f.chunk_hashes) hashes += h;
    Use(db(), statements_->put_file.get())
        .bind(1, f.name)
        .bind(2, f.owner)
        .bind(3, static_cast<std::int64_t>(f.size))
        .bind(4, static_cast<std::int64_t>(f.chunk_count))
        .bind_blob(5, f.file_hash)
        .bind_blob(6, hashes)
        .bind(7, f.registered_ms)
        .run();
  }

  void apply(const op::SetHolding& set) {
    const StoredHolding& h = set.holding;
    if (h.chunks.find_first_not_of('\0') == std::string::npos) {
      Use(db(), statements_->remove_holding.get()).bind(1, h.name).bind(2, h.user).run();
    } else {
      Use(db(), statements_->set_holding.get()).bind(1, h.name).bind(2, h.user).bind_blob(3, h.chunks).run();
    }
  }

  void apply(const op::SetBlock& block) {
    sqlite3_stmt* stmt = block.blocked_now ? statements_->add_block.get() : statements_->remove_block.get();
    Use(db(), stmt).bind(1, block.blocker).bind(2, block.blocked).run();
  }

  void apply(const op::SetLock& lock) {
    // A lock that ends in the past is no lock; treat it like the documented 0.
    if (lock.until_ms <= 0) {
      Use(db(), statements_->remove_lock.get()).bind(1, lock.user).run();
    } else {
      Use(db(), statements_->set_lock.get()).bind(1, lock.user).bind(2, lock.until_ms).run();
    }
  }

  void apply(const op::RecordLogin& login) {
    Use(db(), statements_->insert_login.get())
        .bind(1, login.user)
        .bind(2, login.at_ms)
        .bind(3, login.address)
        .run();
    Use(db(), statements_->set_last_seen.get()).bind(1, login.user).bind(2, login.at_ms).run();
  }

  void apply(const op::RecordLogout& logout) {
    Use(db(), statements_->close_login.get())
        .bind(1, logout.user)
        .bind(2, logout.at_ms)
        .bind(3, logout.reason)
        .run();
    Use(db(), statements_->set_last_seen.get()).bind(1, logout.user).bind(2, logout.at_ms).run();
  }

  void run_fetch(FetchJob& job) {
    std::vector<StoredMessage> messages;
    try {
      const auto limit = static_cast<std::int64_t>(std::min<std::size_t>(
          job.limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
      Use use(db(), statements_->fetch_offline.get());
      use.bind(1, job.user).bind(2, limit);
      while (use.step()) {
        StoredMessage& m = messages.emplace_back();
        m.seq = use.int64(0);
        m.msg_id = use.text(1);
        m.from = use.text(2);
        m.to = use.text(3);
        m.group = split_group(use.text(4));
        m.text = use.text(5);
        m.sent_ms = use.int64(6);
      }
    } catch (const std::exception& e) {
      // The interface has no error path for fetches; the messages stay stored for a retry.
      spdlog::error("store: fetching offline messages failed: {}", e.what());
      messages.clear();
    }
    if (job.done) {
      asio::post(completions_, [done = std::move(job.done), messages = std::move(messages)]() mutable {
        done(std::move(messages));
      });
    }
  }

  void run_load(LoadJob& job) {
    try {
      PersistedState state;
      {
        const StmtPtr stmt =
            prepare(db(), "SELECT blocker, blocked FROM blocks ORDER BY blocker, blocked", 0);
        Use use(db(), stmt.get());
        while (use.step()) state.blocks.emplace_back(use.text(0), use.text(1));
      }
      {
        const StmtPtr stmt = prepare(db(), "SELECT user, until_ms FROM locks WHERE until_ms > ?1", 0);
        Use use(db(), stmt.get());
        use.bind(1, now_ms());
        while (use.step()) state.locked_until_ms.emplace(use.text(0), use.int64(1));
      }
      {
        const StmtPtr stmt = prepare(db(), "SELECT user, at_ms FROM last_seen", 0);
        Use use(db(), stmt.get());
        while (use.step()) state.last_seen_ms.emplace(use.text(0), use.int64(1));
      }
      {
        const StmtPtr stmt = prepare(
            db(), "SELECT name, owner, size, chunk_count, file_hash, chunk_hashes, registered_ms FROM files",
            0);
        Use use(db(), stmt.get());
        while (use.step()) {
          StoredFile f{use.text(0),
                       use.text(1),
                       static_cast<std::uint64_t>(use.int64(2)),
                       static_cast<std::uint32_t>(use.int64(3)),
                       use.blob(4),
                       {},
                       use.int64(6)};
          const std::string hashes = use.blob(5);
          for (std::size_t at = 0; at + 32 <= hashes.size(); at += 32)
            f.chunk_hashes.push_back(hashes.substr(at, 32));
          state.files.push_back(std::move(f));
        }
      }
      {
        const StmtPtr stmt = prepare(db(), "SELECT name, user, chunks FROM holdings", 0);
        Use use(db(), stmt.get());
        while (use.step()) state.holdings.push_back(StoredHolding{use.text(0), use.text(1), use.blob(2)});
      }
      {
        const StmtPtr stmt = prepare(db(), "SELECT name, hash FROM accounts", 0);
        Use use(db(), stmt.get());
        while (use.step()) state.accounts.emplace_back(use.text(0), use.text(1));
      }
      job.result.set_value(std::move(state));
    } catch (...) {
      job.result.set_exception(std::current_exception());
    }
  }

  void post_result(WriteJob& job, bool ok) {
    if (job.done) asio::post(completions_, [done = std::move(job.done), ok] { done(ok); });
  }

  sqlite3* db() const { return db_.get(); }

  asio::any_io_executor completions_;
  DbPtr db_;
  std::unique_ptr<Statements> statements_;  // declared after db_: finalized before it closes

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable all_done_;
  std::vector<Job> queue_;
  std::uint64_t submitted_ = 0;  // jobs ever queued
  std::uint64_t completed_ = 0;  // jobs whose work is done and whose completion is posted
  bool stopping_ = false;

  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path,
                                         asio::any_io_executor completions) {
  return std::make_unique<SqliteStore>(path, std::move(completions));
}

}  // namespace parley::server
