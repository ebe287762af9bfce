// What the message store does to its tables, scoped to one account (one data directory
// may serve several users and servers). Prepared once; store-thread only once the
// store's thread runs.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "peer/store/records.hpp"
#include "shared/sqlite/db.hpp"

namespace parley::peer::store {

// Creates or upgrades the schema.
void migrate(sqlite3* db);

class MessageTables {
 public:
  MessageTables(sqlite3* db, std::string account);

  // Writes: inside a transaction.
  void add(const StoredMessage& message);
  // Every recipient of our message `msg_id`, or only `recipient` when it is not empty.
  // Not our direct-link line with that id: it stays not delivered when --fallback sent
  // the message through the server.
  void set_state(const std::string& msg_id, const std::string& state, const std::string& recipient);
  void mark_seen(const SeenId& seen);
  void enqueue(const QueuedMessage& queued);
  void dequeue(const std::string& msg_id);
  void prune(std::int64_t history_before_ms, std::int64_t seen_before_ms);

  // Reads.
  std::vector<StoredMessage> history(const std::string& with_user, std::size_t n);
  std::vector<SeenId> load_seen(std::int64_t since_ms);  // oldest first
  std::vector<QueuedMessage> load_outbox();              // in the order they were typed

 private:
  void read_recipients(StoredMessage& message);

  sqlite3* db_;
  std::string account_;
  sqlite::StmtPtr insert_message_, insert_recipient_;
  sqlite::StmtPtr set_state_all_, set_state_row_, set_state_one_;
  sqlite::StmtPtr insert_seen_, insert_outbox_, delete_outbox_;
  sqlite::StmtPtr prune_history_, prune_seen_;
  sqlite::StmtPtr history_, recipients_, load_seen_, load_outbox_;
};

}  // namespace parley::peer::store
