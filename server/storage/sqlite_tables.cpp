#include "server/storage/sqlite_tables.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>
#include <variant>

namespace parley::server::sqlite {

Tables::Tables(sqlite3* db)
    : db_(db),
      put_offline_(prepare(db,
                           "INSERT INTO mailbox (recipient, seq, msg_id, sender, grp, text, sent_ms) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")),
      ack_offline_(prepare(db, "DELETE FROM mailbox WHERE recipient = ?2 AND seq = ?1")),
      fetch_offline_(prepare(db,
                             "SELECT seq, msg_id, sender, recipient, grp, text, sent_ms FROM mailbox "
                             "WHERE recipient = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4")),
      add_block_(prepare(db, "INSERT OR IGNORE INTO blocks (blocker, blocked) VALUES (?1, ?2)")),
      remove_block_(prepare(db, "DELETE FROM blocks WHERE blocker = ?1 AND blocked = ?2")),
      set_lock_(prepare(db,
                        "INSERT INTO locks (user, until_ms) VALUES (?1, ?2) "
                        "ON CONFLICT (user) DO UPDATE SET until_ms = excluded.until_ms")),
      remove_lock_(prepare(db, "DELETE FROM locks WHERE user = ?1")),
      insert_login_(prepare(db, "INSERT INTO logins (user, login_ms, address) VALUES (?1, ?2, ?3)")),
      close_login_(prepare(db,
                           "UPDATE logins SET logout_ms = ?2, reason = ?3 WHERE id = "
                           "(SELECT max(id) FROM logins WHERE user = ?1 AND logout_ms IS NULL)")),
      set_last_seen_(prepare(db,
                             "INSERT INTO last_seen (user, at_ms) VALUES (?1, ?2) "
                             "ON CONFLICT (user) DO UPDATE SET at_ms = excluded.at_ms")),
      put_file_(prepare(
          db,
          "INSERT INTO files (name, owner, size, chunk_count, file_hash, chunk_hashes, registered_ms) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")),
      set_holding_(prepare(db,
                           "INSERT INTO holdings (name, user, chunks) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT (name, user) DO UPDATE SET chunks = excluded.chunks")),
      remove_holding_(prepare(db, "DELETE FROM holdings WHERE name = ?1 AND user = ?2")),
      put_account_(prepare(db, "INSERT INTO accounts (name, hash, created_ms) VALUES (?1, ?2, ?3)")),
      reserve_seqs_(prepare(db,
                            "INSERT INTO meta (key, value) VALUES ('seq_reserved', ?1) "
                            "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)")),
      put_token_(
          prepare(db,
                  "INSERT OR REPLACE INTO resume_tokens (hash, user, issued_ms, expires_ms, credential) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)")),
      remove_token_(prepare(db, "DELETE FROM resume_tokens WHERE hash = ?1")) {}

void Tables::apply(const WriteOp& op) {
  std::visit([this](const auto& o) { apply(o); }, op);
}

void Tables::apply(const op::PutOffline& put) {
  const StoredMessage& m = put.message;
  Use use(db_, put_offline_.get());
  use.bind(1, m.to).bind(2, m.seq).bind(3, m.msg_id).bind(4, m.from);
  if (m.group.empty()) {
    use.bind_null(5);
  } else {
    use.bind(5, join_list(m.group));
  }
  use.bind(6, m.text).bind(7, m.sent_ms).run();
}

void Tables::apply(const op::ReserveSeqs& reserve) {
  Use(db_, reserve_seqs_.get()).bind(1, reserve.below).run();
}

void Tables::apply(const op::AckOffline& ack) {
  for (const std::int64_t seq : ack.seqs) {
    Use(db_, ack_offline_.get()).bind(1, seq).bind(2, ack.user).run();
  }
}

void Tables::apply(const op::PutAccount& put) {
  Use(db_, put_account_.get()).bind(1, put.name).bind(2, put.hash).bind(3, put.created_ms).run();
}

void Tables::apply(const op::PutFile& put) {
  const StoredFile& f = put.file;
  std::string hashes;
  for (const auto& h : f.chunk_hashes) hashes += h;
  Use(db_, put_file_.get())
      .bind(1, f.name)
      .bind(2, f.owner)
      .bind(3, static_cast<std::int64_t>(f.size))
      .bind(4, static_cast<std::int64_t>(f.chunk_count))
      .bind_blob(5, f.file_hash)
      .bind_blob(6, hashes)
      .bind(7, f.registered_ms)
      .run();
}

void Tables::apply(const op::SetHolding& set) {
  const StoredHolding& h = set.holding;
  if (h.chunks.find_first_not_of('\0') == std::string::npos) {
    Use(db_, remove_holding_.get()).bind(1, h.name).bind(2, h.user).run();
  } else {
    Use(db_, set_holding_.get()).bind(1, h.name).bind(2, h.user).bind_blob(3, h.chunks).run();
  }
}

void Tables::apply(const op::SetBlock& block) {
  sqlite3_stmt* stmt = block.blocked_now ? add_block_.get() : remove_block_.get();
  Use(db_, stmt).bind(1, block.blocker).bind(2, block.blocked).run();
}

void Tables::apply(const op::SetLock& lock) {
  // A lock that ends in the past is no lock; treat it like the documented 0.
  if (lock.until_ms <= 0) {
    Use(db_, remove_lock_.get()).bind(1, lock.user).run();
  } else {
    Use(db_, set_lock_.get()).bind(1, lock.user).bind(2, lock.until_ms).run();
  }
}

void Tables::apply(const op::RecordLogin& login) {
  Use(db_, insert_login_.get()).bind(1, login.user).bind(2, login.at_ms).bind(3, login.address).run();
  Use(db_, set_last_seen_.get()).bind(1, login.user).bind(2, login.at_ms).run();
}

void Tables::apply(const op::RecordLogout& logout) {
  Use(db_, close_login_.get()).bind(1, logout.user).bind(2, logout.at_ms).bind(3, logout.reason).run();
  Use(db_, set_last_seen_.get()).bind(1, logout.user).bind(2, logout.at_ms).run();
}

std::vector<StoredMessage> Tables::fetch_offline(const std::string& user, std::int64_t after_seq,
                                                 std::int64_t before_seq, std::size_t limit) {
  std::vector<StoredMessage> messages;
  const auto capped = static_cast<std::int64_t>(
      std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
  Use use(db_, fetch_offline_.get());
  use.bind(1, user).bind(2, after_seq).bind(3, before_seq).bind(4, capped);
  while (use.step()) {
    StoredMessage& m = messages.emplace_back();
    m.seq = use.int64(0);
    m.msg_id = use.text(1);
    m.from = use.text(2);
    m.to = use.text(3);
    m.group = split_list(use.text(4));
    m.text = use.text(5);
    m.sent_ms = use.int64(6);
  }
  return messages;
}

}  // namespace parley::server::sqlite
