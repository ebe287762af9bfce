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

// A chat message kept for a user who was offline when it was sent.
struct StoredMessage {
  std::int64_t seq = 0;  // assigned by the store; used to acknowledge delivery
  std::string msg_id;    // the sender's unique id
  std::string from;
  std::string to;                  // the offline recipient
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

// What the registry needs back at start-up.
struct PersistedState {
  std::vector<std::pair<std::string, std::string>> blocks;  // (blocker, blocked)
  std::map<std::string, std::int64_t> locked_until_ms;      // only entries still in the future matter
  std::map<std::string, std::int64_t> last_seen_ms;         // last time each user was online
  std::vector<StoredFile> files;
  std::vector<StoredHolding> holdings;
  std::vector<std::pair<std::string, std::string>> accounts;  // signed up: (name, hash)
};

namespace op {
struct PutOffline {
  StoredMessage message;  // seq is ignored
};
struct AckOffline {  // delivered and acknowledged by the recipient: delete
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
}  // namespace op

using WriteOp = std::variant<op::PutOffline, op::AckOffline, op::SetBlock, op::SetLock, op::RecordLogin,
                             op::RecordLogout, op::PutFile, op::SetHolding, op::PutAccount>;

class Store {
 public:
  virtual ~Store() = default;

  // Blocking; call once at start-up before serving.
  virtual PersistedState load() = 0;

  // Commits `ops` atomically (in one transaction, possibly shared with other queued
  // writes), then posts done(true). done(false) means the commit failed and nothing of
  // `ops` is stored; the error has been logged.
  virtual void write(std::vector<WriteOp> ops, std::function<void(bool ok)> done) = 0;

  // Every offline message waiting for `user`, oldest first, at most `limit`.
  virtual void fetch_offline(std::string user, std::size_t limit,
                             std::function<void(std::vector<StoredMessage>)> done) = 0;

  // The chunk digests of a registered file (kept on disk only, so that start-up and
  // memory do not grow with the registry); empty if there is no such file.
  virtual void fetch_chunk_hashes(std::string name, std::function<void(std::vector<std::string>)> done) = 0;

  // Blocks until everything submitted so far is committed. For shutdown and tests.
  virtual void flush() = 0;
};

}  // namespace parley::server
