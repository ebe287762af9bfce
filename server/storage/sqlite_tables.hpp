// What the store does to its tables: one prepared statement per job, prepared once for
// the connection's life, and the write ops, the offline-mailbox fetch and the start-up
// load built on them. Store-thread only.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <string>
#include <vector>

#include "server/storage/store.hpp"
#include "shared/sqlite/db.hpp"

namespace parley::server::sqlite {

// The handles and statements of shared/sqlite, under the server's sqlite:: too.
using namespace parley::sqlite;

class Tables {
 public:
  explicit Tables(sqlite3* db);

  void apply(const WriteOp& op);  // inside a transaction (the writer thread's)

  // The oldest `limit` messages waiting for `user` with after_seq < seq < before_seq.
  std::vector<StoredMessage> fetch_offline(const std::string& user, std::int64_t after_seq,
                                           std::int64_t before_seq, std::size_t limit);
  // Everything the registry needs back at start-up (sqlite_load.cpp).
  PersistedState load();
  // One file's chunk digests, read when a downloader asks (sqlite_load.cpp).
  std::vector<std::string> chunk_hashes(const std::string& name);

 private:
  void apply(const op::PutOffline& put);
  void apply(const op::AckOffline& ack);
  void apply(const op::SetBlock& block);
  void apply(const op::SetLock& lock);
  void apply(const op::RecordLogin& login);
  void apply(const op::RecordLogout& logout);
  void apply(const op::PutFile& put);
  void apply(const op::SetHolding& set);
  void apply(const op::PutAccount& put);
  void apply(const op::ReserveSeqs& reserve);
  void apply(const op::TokenChanges& change);  // sqlite_tokens.cpp

  sqlite3* db_;
  StmtPtr put_offline_, ack_offline_, fetch_offline_;
  StmtPtr add_block_, remove_block_;
  StmtPtr set_lock_, remove_lock_;
  StmtPtr insert_login_, close_login_, set_last_seen_;
  StmtPtr put_file_, set_holding_, remove_holding_;
  StmtPtr put_account_;
  StmtPtr reserve_seqs_;
  StmtPtr put_token_, remove_token_;
};

}  // namespace parley::server::sqlite
