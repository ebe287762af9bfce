// Tables::load: the registry's state read back at start-up, one table at a time.
#include <cstdint>
#include <string>

#include "server/storage/sqlite_tables.hpp"
#include "shared/util/time.hpp"

namespace parley::server::sqlite {
namespace {

constexpr std::size_t kDigest = 32;  // a raw SHA-256

void load_blocks(sqlite3* db, PersistedState& state) {
  const StmtPtr stmt = prepare(db, "SELECT blocker, blocked FROM blocks ORDER BY blocker, blocked", 0);
  Use use(db, stmt.get());
  while (use.step()) state.blocks.emplace_back(use.text(0), use.text(1));
}

void load_locks(sqlite3* db, PersistedState& state) {
  const StmtPtr stmt = prepare(db, "SELECT user, until_ms FROM locks WHERE until_ms > ?1", 0);
  Use use(db, stmt.get());
  use.bind(1, now_ms());
  while (use.step()) state.locked_until_ms.emplace(use.text(0), use.int64(1));
}

void load_last_seen(sqlite3* db, PersistedState& state) {
  const StmtPtr stmt = prepare(db, "SELECT user, at_ms FROM last_seen", 0);
  Use use(db, stmt.get());
  while (use.step()) state.last_seen_ms.emplace(use.text(0), use.int64(1));
}

// Without the chunk digests (up to 32 KiB a file): those are read when asked for, so a
// restart costs a row per file, whatever the files' sizes.
void load_files(sqlite3* db, PersistedState& state) {
  const StmtPtr stmt =
      prepare(db, "SELECT name, owner, size, chunk_count, file_hash, registered_ms FROM files", 0);
  Use use(db, stmt.get());
  while (use.step()) {
    state.files.push_back(StoredFile{use.text(0),
                                     use.text(1),
                                     static_cast<std::uint64_t>(use.int64(2)),
                                     static_cast<std::uint32_t>(use.int64(3)),
                                     use.blob(4),
                                     {},
                                     use.int64(5)});
  }
}

// Login history older than this goes at start-up; last_seen keeps what whoelsesince needs.
// Nobody is online at start-up, so a row still open is one a crash left: its login time
// is its age.
constexpr std::int64_t kLoginHistoryMs = std::int64_t{90} * 24 * 3600 * 1000;

void prune_login_history(sqlite3* db) {
  const StmtPtr stmt = prepare(db, "DELETE FROM logins WHERE COALESCE(logout_ms, login_ms) < ?1", 0);
  Use(db, stmt.get()).bind(1, now_ms() - kLoginHistoryMs).run();
}

void load_holdings(sqlite3* db, PersistedState& state) {
  const StmtPtr stmt = prepare(db, "SELECT name, user, chunks FROM holdings", 0);
  Use use(db, stmt.get());
  while (use.step()) state.holdings.push_back(StoredHolding{use.text(0), use.text(1), use.blob(2)});
}

void load_accounts(sqlite3* db, PersistedState& state) {
  const StmtPtr stmt = prepare(db, "SELECT name, hash FROM accounts", 0);
  Use use(db, stmt.get());
  while (use.step()) state.accounts.emplace_back(use.text(0), use.text(1));
}

void load_mailbox(sqlite3* db, PersistedState& state) {
  // The text's size in bytes (not characters) for the quotas, not the text itself.
  const StmtPtr stmt = prepare(
      db, "SELECT seq, recipient, sender, msg_id, length(CAST(text AS BLOB)) FROM mailbox ORDER BY seq", 0);
  Use use(db, stmt.get());
  while (use.step())
    state.mailbox.push_back(MailboxRow{use.int64(0), use.text(1), use.text(2), use.text(3),
                                       static_cast<std::uint64_t>(use.int64(4))});
  const StmtPtr reserved = prepare(db, "SELECT value FROM meta WHERE key = 'seq_reserved'", 0);
  Use read(db, reserved.get());
  if (read.step()) state.seq_reserved = read.int64(0);
}

void load_resume_tokens(sqlite3* db, PersistedState& state) {
  const StmtPtr stmt =
      prepare(db, "SELECT hash, user, issued_ms, expires_ms, credential FROM resume_tokens", 0);
  Use use(db, stmt.get());
  while (use.step())
    state.resume_tokens.push_back(
        StoredToken{use.blob(0), use.text(1), use.int64(2), use.int64(3), use.text(4)});
}

}  // namespace

PersistedState Tables::load() {
  PersistedState state;
  load_blocks(db_, state);
  load_locks(db_, state);
  load_last_seen(db_, state);
  load_files(db_, state);
  prune_login_history(db_);
  load_holdings(db_, state);
  load_accounts(db_, state);
  load_mailbox(db_, state);
  load_resume_tokens(db_, state);
  return state;
}

std::vector<std::string> Tables::chunk_hashes(const std::string& name) {
  const StmtPtr stmt = prepare(db_, "SELECT chunk_hashes FROM files WHERE name = ?1", 0);
  Use use(db_, stmt.get());
  use.bind(1, name);
  std::vector<std::string> out;
  if (!use.step()) return out;
  const std::string hashes = use.blob(0);
  for (std::size_t at = 0; at + kDigest <= hashes.size(); at += kDigest)
    out.push_back(hashes.substr(at, kDigest));
  return out;
}

}  // namespace parley::server::sqlite
