#include "server/storage/sqlite_schema.hpp"

#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

#include "shared/sqlite/db.hpp"

namespace parley::server::sqlite {
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
    // 4: protocol 6's mailbox. One seq per message, shared by its recipients, handed out
    // by the server (most messages are acknowledged before they would be written, so
    // AUTOINCREMENT cannot count them); `meta` keeps how far seqs were handed out.
    R"sql(
CREATE TABLE IF NOT EXISTS mailbox (
  recipient TEXT NOT NULL CHECK (recipient <> ''),
  seq INTEGER NOT NULL CHECK (seq > 0),
  msg_id TEXT NOT NULL,
  sender TEXT NOT NULL CHECK (sender <> ''),
  grp TEXT,
  text TEXT NOT NULL,
  sent_ms INTEGER NOT NULL,
  PRIMARY KEY (recipient, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO mailbox (recipient, seq, msg_id, sender, grp, text, sent_ms)
  SELECT recipient, seq, msg_id, sender, grp, text, sent_ms FROM offline_messages;
INSERT INTO meta (key, value)
  SELECT 'seq_reserved', coalesce(max(seq), 0) + 1 FROM sqlite_sequence WHERE name = 'offline_messages';
DROP TABLE offline_messages;
)sql",
    // 5: session resumption tokens (registry/resume_tokens.hpp): only their SHA-256.
    R"sql(
CREATE TABLE IF NOT EXISTS resume_tokens (
  hash BLOB NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
  user TEXT NOT NULL CHECK (user <> ''),
  issued_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  credential TEXT NOT NULL     -- digest of the user's credential when issued
) WITHOUT ROWID;
)sql",
};

}  // namespace

void migrate(sqlite3* db) { parley::sqlite::migrate(db, kMigrations); }

}  // namespace parley::server::sqlite
