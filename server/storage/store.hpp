// The server's durable state, behind an interface so the session logic does not know
// about SQLite. Every call returns at once; the work runs on the store's own thread and
// completions are posted to the executor given at construction (the network loop).
// Operations run in the order they were submitted: a fetch sees every write submitted
// before it. Writes that queue up while a commit is in progress are committed together
// (group commit), so a burst of offline messages costs one disk sync, not one each.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace parley::server {

// A chat message in a recipient's mailbox: written when the recipient was offline, or
// did not acknowledge it within the server's grace; deleted when it is acknowledged.
struct StoredMessage {
  std::int64_t seq = 0;  // the message's mailbox id (the registry's counter), shared by its recipients
  std::string msg_id;    // the sender's unique id
  std::string from;
  std::string to;                  // the recipient
  std::vector<std::string> group;  // every recipient of a group message, empty otherwise
  std::string text;
  std::int64_t sent_ms = 0;  // unix time in milliseconds when the server accepted it
};

// A registered file: what the registering peer computed, kept for downloaders.
struct StoredFile {
  std::string name;
  std::string owner;
  std::uint64_t size = 0;
  std::uint32_t chunk_count = 0;
  std::string file_hash;                  // raw SHA-256
  std::vector<std::string> chunk_hashes;  // raw SHA-256 each; not loaded at start-up
  std::int64_t registered_ms = 0;
};
// Which chunks of a file a user holds (bit i of byte i / 8 is chunk i).
struct StoredHolding {
  std::string name;
  std::string user;
  std::string chunks;
};

// Which message a mailbox row holds: what the registry keeps of it in memory, for
// acknowledgements, receipts and resends.
struct MailboxRow {
  std::int64_t seq = 0;
  std::string to;
  std::string from;
  std::string msg_id;
  std::uint64_t bytes = 0;  // of its text (the quotas count them)
};

// A session resumption token as the server keeps it (see registry/resume_tokens.hpp).
struct StoredToken {
  std::string hash;  // raw SHA-256 of the token; the token itself is never stored
  std::string user;
  std::int64_t issued_ms = 0;
  std::int64_t expires_ms = 0;
  std::string credential;  // digest of the user's credential when it was issued
};

// What the registry needs back at start-up.
struct PersistedState {
  std::vector<std::pair<std::string, std::string>> blocks;  // (blocker, blocked)
  std::map<std::string, std::int64_t> locked_until_ms;      // only entries still in the future matter
  std::map<std::string, std::int64_t> last_seen_ms;         // last time each user was online
  std::vector<StoredFile> files;
  std::vector<StoredHolding> holdings;
  std::vector<std::pair<std::string, std::string>> accounts;  // signed up: (name, hash)
  std::vector<MailboxRow> mailbox;                            // every row, by seq
  std::int64_t seq_reserved = 0;                              // no seq below this may be handed out again
  std::vector<StoredToken> resume_tokens;
};

namespace op {
struct PutOffline {  // a mailbox row, with the seq the registry gave it
  StoredMessage message;
};
struct AckOffline {  // acknowledged by the recipient: delete
  std::string user;
  std::vector<std::int64_t> seqs;
};
struct SetBlock {
  std::string blocker;
  std::string blocked;
  bool blocked_now = true;  // false removes the block
};
struct SetLock {
  std::string user;
  std::int64_t until_ms = 0;  // 0 removes the lock
};
struct RecordLogin {  // login history; also updates last_seen
  std::string user;
  std::int64_t at_ms = 0;
  std::string address;
};
struct RecordLogout {  // closes the user's open history row; also updates last_seen
  std::string user;
  std::int64_t at_ms = 0;
  std::string reason;
};
struct PutFile {  // a new registration; the name must not be taken
  StoredFile file;
};
struct SetHolding {  // replaces what `user` holds of `name`; no chunk at all removes the row
  StoredHolding holding;
};
struct PutAccount {  // a new account from sign-up; the name must not be taken
  std::string name;
  std::string hash;
  std::int64_t created_ms = 0;
};
struct ReserveSeqs {  // seqs below `below` may be in use: a restart starts there
  std::int64_t below = 0;
};
struct TokenChanges {  // tokens issued and tokens deleted (revoked, expired, evicted)
  std::vector<StoredToken> put;
  std::vector<std::string> remove;  // hashes
  bool empty() const { return put.empty() && remove.empty(); }
};
}  // namespace op

using WriteOp =
    std::variant<op::PutOffline, op::AckOffline, op::SetBlock, op::SetLock, op::RecordLogin, op::RecordLogout,
                 op::PutFile, op::SetHolding, op::PutAccount, op::ReserveSeqs, op::TokenChanges>;

class Store {
 public:
  virtual ~Store() = default;

  // Blocking; call once at start-up before serving.
  virtual PersistedState load() = 0;

  // Commits `ops` atomically (in one transaction, possibly shared with other queued
  // writes), then posts done(true). done(false) means the commit failed and nothing of
  // `ops` is stored; the error has been logged.
  virtual void write(std::vector<WriteOp> ops, std::function<void(bool ok)> done) = 0;

  // The messages waiting for `user` with after_seq < seq < before_seq, oldest first, at
  // most `limit`.
  virtual void fetch_offline(std::string user, std::int64_t after_seq, std::int64_t before_seq,
                             std::size_t limit, std::function<void(std::vector<StoredMessage>)> done) = 0;

  // The chunk digests of a registered file (kept on disk only, so that start-up and
  // memory do not grow with the registry); empty if there is no such file.
  virtual void fetch_chunk_hashes(std::string name, std::function<void(std::vector<std::string>)> done) = 0;

  // Blocks until everything submitted so far is committed. For shutdown and tests.
  virtual void flush() = 0;
};

}  // namespace parley::server
