// Protocol 6's delivery bookkeeping (issue 14: no message lost, none shown twice). Every
// private or group message gets one seq, its recipients' mailbox id, and goes at once to
// its online recipients. A recipient online then is given a grace: if its peer
// acknowledges the seq within it, nothing is ever written and the sender hears `ok`
// (the common case, no disk at all). Otherwise (the grace ran out, the recipient's
// session ended, or the recipient was offline) the row is written with the loop pass's
// other rows in one transaction, the sender hears `stored_offline` once it is durable,
// and a Receipt when the acknowledgement comes (the row is deleted then).
//
// A sender hears nothing about a message before it is acknowledged or durable, so a
// crash inside the grace loses only messages the sender's peer still holds and resends
// with the same id; a resend of a (sender, id) still known here makes no second copy.
//
// Pure: no I/O, no clock. The server hands take_batch() to the store once per loop pass
// and calls committed() with the outcome, and calls expire() when next_deadline_ms() is
// reached.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/registry/effects.hpp"
#include "server/registry/mailbox_quota.hpp"
#include "server/registry/recent_ids.hpp"
#include "server/storage/store.hpp"
#include "shared/wire/messages.hpp"

namespace parley::server {

class Mailbox {
 public:
  // Seqs are reserved on disk this many at a time, so that handing one out costs no write.
  static constexpr std::int64_t kSeqBlock = 1 << 20;

  enum class State : std::uint8_t {
    refused,        // an error for this recipient (reply says which); nothing to deliver
    waiting,        // pushed to an online session, within the grace
    writing,        // its row is in a batch not yet committed
    acked,          // acknowledged before anything was written
    acked_writing,  // acknowledged while its row was being written: delete after the commit
    stored,         // its row is durable
    failed,         // its row could not be written
  };
  struct Target {           // one recipient of a message, parallel to the reply's recipients
    SessionId session = 0;  // where it was pushed; 0: offline
    State state = State::refused;
    std::uint64_t batch = 0;  // while writing
  };
  // A message the registry accepted for at least one recipient.
  struct Letter {
    SessionId sender = 0;
    std::string from;
    wire::SendMessage request;       // its id, text and request number (not its `to`)
    std::vector<std::string> group;  // every accepted recipient of a group message
    wire::SendResult reply;          // every recipient; errors final, the others to be decided
    std::vector<Target>
        targets;  // parallel to reply.recipients: refused, or waiting with a session (0: offline)
  };
  struct Batch {
    std::uint64_t id = 0;
    std::vector<WriteOp> ops;  // empty: nothing to write
  };
  struct Acked {
    Effects fx;
    std::vector<std::pair<std::string, wire::Receipt>> receipts;  // to each message's sender, by name
  };

  explicit Mailbox(std::int64_t grace_ms = 200, MailboxQuotaSettings quota = {})
      : grace_ms_(grace_ms), quota_(quota) {}
  void set_grace(std::int64_t grace_ms) { grace_ms_ = grace_ms; }

  // Start-up: the rows still stored, and how far seqs went.
  void restore(const PersistedState& state);
  // What must be durable before any seq is handed out (after restore()).
  op::ReserveSeqs reservation() const { return {reserved_}; }

  // The letter for the next send(), emptied (its buffers are reused message after message).
  Letter& draft();
  // A new message, the draft (or a resend of one still known: answered with what holds now).
  Effects send(std::int64_t now_ms);
  Effects send(Letter&& letter, std::int64_t now_ms) {
    draft_ = std::move(letter);
    return send(now_ms);
  }
  // `user`'s peer (on `session`) has these seqs; only its own count.
  Acked acknowledge(SessionId session, const std::string& user, std::span<const std::int64_t> seqs);
  // The grace of every message up to now is over: write what is still unacknowledged.
  void expire(std::int64_t now_ms);
  // `session` ended: what was pushed to it and not acknowledged is written now.
  void session_ended(SessionId session);

  // Whether a message from `from` for `to`, offline, may be stored (MailboxQuota).
  bool fits(const std::string& from, const std::string& to, std::size_t bytes) const {
    return quota_.fits(from, to, bytes);
  }
  const MailboxQuota& quota() const { return quota_; }

  bool has_batch() const { return !ops_.empty(); }
  std::size_t batch_ops() const { return ops_.size(); }
  Batch take_batch();
  // The outcome of take_batch()'s commit: answers the senders now settled.
  Effects committed(std::uint64_t batch, bool ok);

  // When expire() has something to do next, if ever.
  std::optional<std::int64_t> next_deadline_ms() const;
  // The seq the next message will get: everything stored for a user who logs in now is below it.
  std::int64_t next_seq() const { return next_seq_; }
  std::size_t in_grace() const { return count_; }
  std::size_t stored() const { return stored_.size(); }
  // Since start-up: messages accepted, and mailbox rows written for them (to tune the grace).
  std::uint64_t messages() const { return messages_; }
  std::uint64_t rows_written() const { return rows_written_; }

 private:
  // A message until every recipient is settled. Kept small (the slots are reused in a
  // ring and touched at every send, acknowledgement and settle): the message itself is
  // only its encoded frame, decoded again on the rare paths that need its fields.
  // What an acknowledgement reads comes first, in the slot's first cache line.
  struct alignas(64) Pending {
    bool settled = false;
    std::uint32_t unsettled = 0;  // targets waiting or writing
    std::vector<Target> targets;
    std::int64_t seq = 0;
    std::int64_t deadline_ms = 0;
    SessionId sender = 0;
    std::uint64_t key = 0;    // key_of(from, msg_id)
    wire::SharedFrame frame;  // the ChatEvent as its recipients get it: what a row holds
    wire::SendResult reply;
    std::vector<std::pair<SessionId, std::uint32_t>> resends;  // answered with it
  };
  struct Stored {  // a message with rows on disk
    std::string from;
    std::string msg_id;
    std::vector<std::string> waiting;  // recipients whose rows are still there
    std::uint64_t bytes = 0;           // of its text, counted in the quota per row
  };
  static std::uint64_t sender_key(std::string_view from);
  static std::uint64_t key_of(std::uint64_t sender, std::string_view msg_id);
  static std::uint64_t key_of(std::string_view from, std::string_view msg_id) {
    return key_of(sender_key(from), msg_id);
  }
  std::int64_t take_seq();
  Pending& slot(std::size_t i) { return slots_[(head_ + i) & (slots_.size() - 1)]; }
  const Pending& slot(std::size_t i) const { return slots_[(head_ + i) & (slots_.size() - 1)]; }
  Pending& push_pending();
  Pending* pending(std::int64_t seq);
  std::int64_t known_seq(const RecentIds& recent, std::uint64_t key) const;  // 0: a new message
  std::optional<Effects> resend(const Letter& letter, std::int64_t seq);
  static wire::ChatEvent event_of(const Pending& p);
  void write_row(const Pending& p, const wire::ChatEvent& e, Target& target, const std::string& to);
  void write_waiting(Pending& p, SessionId session);  // every target still waiting (on `session`, 0: any)
  void settle(Pending& p, Effects& fx);
  void ack_pending(Pending& p, SessionId session, Effects& fx);
  bool ack_stored(std::int64_t seq, const std::string& user, Acked& out);
  void finish_batch(Pending& p, std::uint64_t batch, bool ok);

  std::int64_t grace_ms_;
  MailboxQuota quota_;
  std::int64_t next_seq_ = 1;
  std::int64_t reserved_ = 1;  // durable (or about to be): seqs below it may be in use
  Letter draft_;
  // A ChatEvent: the next message's, encoded once for all its recipients.
  wire::Message event_{wire::ChatEvent{}};
  // The messages in their grace, oldest first, in a ring (a power of two long) whose
  // slots are reused: slot(i) has seq first_seq_ + i.
  std::vector<Pending> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::int64_t first_seq_ = 1;
  std::int64_t swept_seq_ = 1;  // expire() has dealt with every seq below
  std::unordered_map<std::int64_t, Stored> stored_;
  std::unordered_map<std::uint64_t, std::int64_t> stored_ids_;  // key_of(from, msg_id) -> seq
  // By sender_key(): a name whose digest collides with another's shares its memory,
  // which only makes each remember less (every match is checked against the message).
  std::unordered_map<std::uint64_t, RecentIds> recent_;
  std::vector<WriteOp> ops_;              // the next batch
  std::vector<std::int64_t> batch_seqs_;  // messages with rows in it
  std::uint64_t next_batch_ = 1;
  std::uint64_t messages_ = 0;
  std::uint64_t rows_written_ = 0;
  std::deque<std::pair<std::uint64_t, std::vector<std::int64_t>>> in_flight_;  // committed in order
};

}  // namespace parley::server
