#include "peer/store/message_tables.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <string_view>

namespace parley::peer::store {
namespace {

using sqlite::join_list;
using sqlite::prepare;
using sqlite::split_list;
using sqlite::Use;

// Never edit a step that has shipped: existing databases have already run it.
constexpr std::string_view kMigrations[] = {
    // 1: history, seen ids, outbox.
    R"sql(
CREATE TABLE IF NOT EXISTS messages (
  row INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the order lines were added in
  account TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  sender TEXT NOT NULL COLLATE NOCASE,
  text TEXT NOT NULL,
  action INTEGER NOT NULL,
  mine INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (account, msg_id);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (account, time_ms);

CREATE TABLE IF NOT EXISTS recipients (
  row INTEGER NOT NULL REFERENCES messages (row) ON DELETE CASCADE,
  pos INTEGER NOT NULL,
  user TEXT NOT NULL COLLATE NOCASE,
  state TEXT NOT NULL,  -- our message's receipt for this recipient
  PRIMARY KEY (row, pos)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recipients_by_user ON recipients (user, row);

CREATE TABLE IF NOT EXISTS seen (
  account TEXT NOT NULL,
  sender TEXT NOT NULL COLLATE NOCASE,
  msg_id TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (account, sender, msg_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_by_time ON seen (account, time_ms);

CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  recipients TEXT NOT NULL,  -- comma-separated: user names cannot hold a comma
  text TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  UNIQUE (account, msg_id)
);
)sql",
};

constexpr std::string_view kMessageColumns = "row, msg_id, kind, sender, text, action, mine, time_ms, state";

std::int64_t as_limit(std::size_t n) {
  return static_cast<std::int64_t>(std::min<std::size_t>(n, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

void migrate(sqlite3* db) { sqlite::migrate(db, kMigrations); }

MessageTables::MessageTables(sqlite3* db, std::string account)
    : db_(db),
      account_(std::move(account)),
      insert_message_(prepare(db,
                              "INSERT INTO messages (account, msg_id, kind, sender, text, action, mine, "
                              "time_ms, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")),
      insert_recipient_(
          prepare(db, "INSERT INTO recipients (row, pos, user, state) VALUES (?1, ?2, ?3, ?4)")),
      set_state_all_(prepare(db,
                             "UPDATE recipients SET state = ?3 WHERE row IN (SELECT row FROM messages "
                             "WHERE account = ?1 AND msg_id = ?2 AND mine = 1 AND kind <> 'private')")),
      set_state_row_(prepare(
          db,
          "UPDATE messages SET state = ?3 WHERE account = ?1 AND msg_id = ?2 AND mine = 1 AND kind <> "
          "'private'")),
      set_state_one_(
          prepare(db,
                  "UPDATE recipients SET state = ?3 WHERE user = ?4 AND row IN (SELECT row FROM "
                  "messages WHERE account = ?1 AND msg_id = ?2 AND mine = 1 AND kind <> 'private')")),
      insert_seen_(prepare(db,
                           "INSERT INTO seen (account, sender, msg_id, time_ms) VALUES (?1, ?2, ?3, ?4) "
                           "ON CONFLICT DO NOTHING")),
      insert_outbox_(prepare(db,
                             "INSERT INTO outbox (account, msg_id, recipients, text, time_ms) "
                             "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING")),
      delete_outbox_(prepare(db, "DELETE FROM outbox WHERE account = ?1 AND msg_id = ?2")),
      prune_history_(prepare(db, "DELETE FROM messages WHERE account = ?1 AND time_ms < ?2")),
      prune_seen_(prepare(db, "DELETE FROM seen WHERE account = ?1 AND time_ms < ?2")),
      history_(prepare(db, "SELECT " + std::string(kMessageColumns) +
                               " FROM messages WHERE account = ?1 AND (?2 = '' OR sender = ?2 OR row IN "
                               "(SELECT row FROM recipients WHERE user = ?2)) ORDER BY row DESC LIMIT ?3")),
      recipients_(prepare(db, "SELECT user, state FROM recipients WHERE row = ?1 ORDER BY pos")),
      load_seen_(prepare(db,
                         "SELECT sender, msg_id, time_ms FROM seen WHERE account = ?1 AND time_ms >= ?2 "
                         "ORDER BY time_ms")),
      load_outbox_(prepare(db,
                           "SELECT msg_id, recipients, text, time_ms FROM outbox WHERE account = ?1 "
                           "ORDER BY seq")) {}

void MessageTables::add(const StoredMessage& m) {
  Use(db_, insert_message_)
      .bind(1, account_)
      .bind(2, m.msg_id)
      .bind(3, m.kind)
      .bind(4, m.from)
      .bind(5, m.text)
      .bind(6, std::int64_t{m.action})
      .bind(7, std::int64_t{m.mine})
      .bind(8, m.time_ms)
      .bind(9, m.state)
      .run();
  const std::int64_t row = sqlite3_last_insert_rowid(db_);
  for (std::size_t i = 0; i < m.to.size(); ++i) {
    const std::string& state = i < m.to_state.size() ? m.to_state[i] : m.state;
    Use(db_, insert_recipient_)
        .bind(1, row)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, m.to[i])
        .bind(4, state)
        .run();
  }
}

void MessageTables::set_state(const std::string& msg_id, const std::string& state,
                              const std::string& recipient) {
  if (!recipient.empty()) {
    Use(db_, set_state_one_).bind(1, account_).bind(2, msg_id).bind(3, state).bind(4, recipient).run();
    return;
  }
  Use(db_, set_state_row_).bind(1, account_).bind(2, msg_id).bind(3, state).run();
  Use(db_, set_state_all_).bind(1, account_).bind(2, msg_id).bind(3, state).run();
}

void MessageTables::mark_seen(const SeenId& seen) {
  Use(db_, insert_seen_)
      .bind(1, account_)
      .bind(2, seen.from)
      .bind(3, seen.msg_id)
      .bind(4, seen.time_ms)
      .run();
}

void MessageTables::enqueue(const QueuedMessage& q) {
  Use(db_, insert_outbox_)
      .bind(1, account_)
      .bind(2, q.msg_id)
      .bind(3, join_list(q.to))
      .bind(4, q.text)
      .bind(5, q.time_ms)
      .run();
}

void MessageTables::dequeue(const std::string& msg_id) {
  Use(db_, delete_outbox_).bind(1, account_).bind(2, msg_id).run();
}

void MessageTables::prune(std::int64_t history_before_ms, std::int64_t seen_before_ms) {
  Use(db_, prune_history_).bind(1, account_).bind(2, history_before_ms).run();
  Use(db_, prune_seen_).bind(1, account_).bind(2, seen_before_ms).run();
}

std::vector<StoredMessage> MessageTables::history(const std::string& with_user, std::size_t n) {
  std::vector<StoredMessage> out;
  {
    Use use(db_, history_);
    use.bind(1, account_).bind(2, with_user).bind(3, as_limit(n));
    while (use.step()) {
      StoredMessage& m = out.emplace_back();
      m.row = use.int64(0);
      m.msg_id = use.text(1);
      m.kind = use.text(2);
      m.from = use.text(3);
      m.text = use.text(4);
      m.action = use.int64(5) != 0;
      m.mine = use.int64(6) != 0;
      m.time_ms = use.int64(7);
      m.state = use.text(8);
    }
  }
  for (auto& m : out) read_recipients(m);
  std::reverse(out.begin(), out.end());
  return out;
}

void MessageTables::read_recipients(StoredMessage& m) {
  Use use(db_, recipients_);
  use.bind(1, m.row);
  while (use.step()) {
    m.to.push_back(use.text(0));
    m.to_state.push_back(use.text(1));
  }
  if (!m.mine) {
    m.to_state.clear();
    return;
  }
  if (m.to_state.empty()) return;
  const bool same = std::all_of(m.to_state.begin(), m.to_state.end(),
                                [&](const std::string& s) { return s == m.to_state.front(); });
  m.state = same ? m.to_state.front() : "mixed";
}

std::vector<SeenId> MessageTables::load_seen(std::int64_t since_ms) {
  std::vector<SeenId> out;
  Use use(db_, load_seen_);
  use.bind(1, account_).bind(2, since_ms);
  while (use.step()) out.push_back(SeenId{use.text(0), use.text(1), use.int64(2)});
  return out;
}

std::vector<QueuedMessage> MessageTables::load_outbox() {
  std::vector<QueuedMessage> out;
  Use use(db_, load_outbox_);
  use.bind(1, account_);
  while (use.step())
    out.push_back(QueuedMessage{use.text(0), split_list(use.text(1)), use.text(2), use.int64(3)});
  return out;
}

}  // namespace parley::peer::store
