#include "server/registry/mailbox.hpp"

#include <algorithm>
#include <functional>
#include <string_view>

#include "shared/wire/frame.hpp"

namespace parley::server {

using wire::Status;

std::uint64_t Mailbox::sender_key(std::string_view from) { return std::hash<std::string_view>{}(from); }

// A 64-bit digest instead of the strings: no allocation per message. Where the message
// is still known (in its grace, or stored) a match is checked against its real sender
// and id; only for one settled already is a collision (about 2^-64 per pair, within one
// sender's last RecentIds::kCapacity) taken as a resend.
std::uint64_t Mailbox::key_of(std::uint64_t sender, std::string_view msg_id) {
  const std::uint64_t b = std::hash<std::string_view>{}(msg_id);
  return sender ^ (b + 0x9e3779b97f4a7c15ULL + (sender << 6) + (sender >> 2));
}

void Mailbox::restore(const PersistedState& state) {
  std::int64_t next = std::max<std::int64_t>({next_seq_, state.seq_reserved, 1});
  for (const auto& row : state.mailbox) {
    auto [it, fresh] = stored_.try_emplace(row.seq);
    Stored& s = it->second;
    if (fresh) {
      s.from = row.from;
      s.msg_id = row.msg_id;
      s.bytes = row.bytes;
      stored_ids_[key_of(row.from, row.msg_id)] = row.seq;
    }
    s.waiting.push_back(row.to);
    quota_.add(row.from, row.to, s.bytes);
    next = std::max(next, row.seq + 1);
  }
  next_seq_ = first_seq_ = swept_seq_ = next;
  reserved_ = next + kSeqBlock;
}

std::int64_t Mailbox::take_seq() {
  const std::int64_t seq = next_seq_++;
  // Renewed long before it runs out, so the reservation is durable before it is needed.
  if (next_seq_ + kSeqBlock / 2 > reserved_) {
    reserved_ = next_seq_ + kSeqBlock;
    ops_.push_back(op::ReserveSeqs{reserved_});
  }
  return seq;
}

Mailbox::Pending* Mailbox::pending(std::int64_t seq) {
  if (seq < first_seq_ || seq - first_seq_ >= static_cast<std::int64_t>(count_)) return nullptr;
  Pending& p = slot(static_cast<std::size_t>(seq - first_seq_));
  return p.settled ? nullptr : &p;
}

Mailbox::Pending& Mailbox::push_pending() {
  if (count_ == slots_.size()) {
    std::vector<Pending> grown(std::max<std::size_t>(64, 2 * slots_.size()));
    for (std::size_t i = 0; i < count_; ++i) grown[i] = std::move(slot(i));
    slots_ = std::move(grown);
    head_ = 0;
  }
  Pending& p = slot(count_++);
  p.unsettled = 0;
  p.resends.clear();
  p.settled = false;
  return p;
}

Mailbox::Letter& Mailbox::draft() {
  draft_.reply.recipients.clear();
  draft_.targets.clear();
  draft_.group.clear();
  return draft_;
}

Effects Mailbox::send(std::int64_t now_ms) {
  Letter& letter = draft_;
  const std::uint64_t sender = sender_key(letter.from);
  const std::uint64_t key = key_of(sender, letter.request.msg_id);
  RecentIds& recent = recent_[sender];
  if (const std::int64_t known = known_seq(recent, key); known != 0)
    if (auto answer = resend(letter, known)) return std::move(*answer);
  const std::int64_t seq = take_seq();
  ++messages_;
  recent.remember(key, seq);
  Pending& p = push_pending();
  p.seq = seq;
  p.key = key;
  p.deadline_ms = now_ms + grace_ms_;
  p.sender = letter.sender;
  // Assigned, not moved: the slot's and the draft's buffers stay for the next message.
  p.reply.request = letter.reply.request;
  p.reply.recipients = letter.reply.recipients;
  p.targets = letter.targets;
  auto& e = std::get<wire::ChatEvent>(event_);
  e.msg_id = std::move(letter.request.msg_id);
  e.from = letter.from;
  e.to = letter.group;
  e.text = std::move(letter.request.text);
  e.sent_ms = now_ms;
  e.seq = seq;
  e.offline = false;
  // One seq per message: the same bytes for every recipient, and what the slot keeps.
  p.frame = wire::make_frame(event_);
  Effects fx;
  Outbound live;
  for (std::size_t i = 0; i < p.targets.size(); ++i) {
    Target& t = p.targets[i];
    if (t.state == State::refused) continue;
    ++p.unsettled;
    if (t.session != 0) {
      t.state = State::waiting;
      live.to.push_back(t.session);
    } else {
      write_row(p, e, t, p.reply.recipients[i].user);
    }
  }
  if (!live.to.empty()) {
    live.frame = p.frame;
    fx.sends.push_back(std::move(live));
  }
  return fx;
}

wire::ChatEvent Mailbox::event_of(const Pending& p) {
  auto decoded = wire::decode(std::span(*p.frame).subspan(wire::kFrameHeader));
  return std::get<wire::ChatEvent>(std::move(*decoded.message));  // encoded here: it decodes
}

std::int64_t Mailbox::known_seq(const RecentIds& recent, std::uint64_t key) const {
  if (const std::int64_t seq = recent.find(key); seq != 0) return seq;
  auto stored = stored_ids_.find(key);
  return stored != stored_ids_.end() ? stored->second : 0;
}

std::optional<Effects> Mailbox::resend(const Letter& letter, std::int64_t seq) {
  const std::string& msg_id = letter.request.msg_id;
  if (Pending* p = pending(seq)) {
    const auto event = event_of(*p);
    if (event.from != letter.from || event.msg_id != msg_id) return std::nullopt;
    p->resends.emplace_back(letter.sender, letter.request.request);  // answered with the original
    return Effects{};
  }
  auto found = stored_.find(seq);
  if (found != stored_.end() && (found->second.from != letter.from || found->second.msg_id != msg_id))
    return std::nullopt;
  // What holds now: still in the mailbox, or acknowledged.
  wire::SendResult reply = letter.reply;
  for (std::size_t i = 0; i < reply.recipients.size(); ++i) {
    if (letter.targets[i].state == State::refused) continue;
    auto& r = reply.recipients[i];
    const bool waiting = found != stored_.end() &&
                         std::find(found->second.waiting.begin(), found->second.waiting.end(), r.user) !=
                             found->second.waiting.end();
    r.status = waiting ? Status::stored_offline : Status::ok;
  }
  Effects fx;
  fx.reply = std::move(reply);
  return fx;
}

void Mailbox::write_row(const Pending& p, const wire::ChatEvent& e, Target& target, const std::string& to) {
  ops_.push_back(op::PutOffline{StoredMessage{p.seq, e.msg_id, e.from, to, e.to, e.text, e.sent_ms}});
  ++rows_written_;
  quota_.add(e.from, to, e.text.size());
  target.state = State::writing;
  target.batch = next_batch_;
  if (batch_seqs_.empty() || batch_seqs_.back() != p.seq) batch_seqs_.push_back(p.seq);
}

void Mailbox::write_waiting(Pending& p, SessionId session) {
  std::optional<wire::ChatEvent> event;  // decoded once, if any row is due
  for (std::size_t i = 0; i < p.targets.size(); ++i) {
    Target& t = p.targets[i];
    if (t.state != State::waiting || (session != 0 && t.session != session)) continue;
    if (!event) event = event_of(p);
    write_row(p, *event, t, p.reply.recipients[i].user);
  }
}

void Mailbox::settle(Pending& p, Effects& fx) {
  p.settled = true;
  Stored kept;
  bool failed = false;
  for (std::size_t i = 0; i < p.targets.size(); ++i) {
    auto& r = p.reply.recipients[i];
    switch (p.targets[i].state) {
      case State::acked:
        r.status = Status::ok;
        break;
      case State::stored:
        r.status = Status::stored_offline;
        kept.waiting.push_back(r.user);
        break;
      case State::failed:
        r.status = Status::internal;
        failed = true;
        break;
      default:
        break;  // refused: as the registry decided
    }
  }
  if (failed || !kept.waiting.empty()) {
    auto event = event_of(p);
    // Nothing (or not all) was stored: a resend is a new message, and must be able to be.
    if (failed) recent_[sender_key(event.from)].forget(p.key);
    if (!kept.waiting.empty()) {
      if (!failed) stored_ids_[p.key] = p.seq;
      kept.from = std::move(event.from);
      kept.msg_id = std::move(event.msg_id);
      kept.bytes = event.text.size();
      stored_.emplace(p.seq, std::move(kept));
    }
  }
  for (const auto& [session, request] : p.resends) {
    wire::SendResult copy = p.reply;
    copy.request = request;
    fx.direct.emplace_back(session, std::move(copy));
  }
  fx.direct.emplace_back(p.sender, std::move(p.reply));
  while (count_ > 0 && slot(0).settled) {
    head_ = (head_ + 1) & (slots_.size() - 1);
    --count_;
    ++first_seq_;
  }
  swept_seq_ = std::max(swept_seq_, first_seq_);
}

void Mailbox::ack_pending(Pending& p, SessionId session, Effects& fx) {
  for (Target& t : p.targets) {
    if (t.session != session) continue;
    if (t.state == State::waiting) {
      t.state = State::acked;
      --p.unsettled;
    } else if (t.state == State::writing) {
      t.state = State::acked_writing;  // settled by the commit
    }
  }
  if (p.unsettled == 0) settle(p, fx);
}

bool Mailbox::ack_stored(std::int64_t seq, const std::string& user, Acked& out) {
  auto it = stored_.find(seq);
  if (it == stored_.end()) return false;
  Stored& s = it->second;
  auto pos = std::find(s.waiting.begin(), s.waiting.end(), user);
  if (pos == s.waiting.end()) return false;
  s.waiting.erase(pos);
  quota_.remove(s.from, user, s.bytes);
  out.receipts.emplace_back(s.from, wire::Receipt{s.msg_id, user});
  if (s.waiting.empty()) {
    if (auto id = stored_ids_.find(key_of(s.from, s.msg_id)); id != stored_ids_.end() && id->second == seq)
      stored_ids_.erase(id);
    stored_.erase(it);
  }
  return true;
}

Mailbox::Acked Mailbox::acknowledge(SessionId session, const std::string& user,
                                    std::span<const std::int64_t> seqs) {
  Acked out;
  op::AckOffline remove{user, {}};
  for (const std::int64_t seq : seqs) {
    if (Pending* p = pending(seq)) {
      ack_pending(*p, session, out.fx);
    } else if (ack_stored(seq, user, out)) {
      remove.seqs.push_back(seq);
    }
  }
  if (!remove.seqs.empty()) ops_.push_back(std::move(remove));
  return out;
}

void Mailbox::expire(std::int64_t now_ms) {
  while (swept_seq_ - first_seq_ < static_cast<std::int64_t>(count_)) {
    Pending& p = slot(static_cast<std::size_t>(swept_seq_ - first_seq_));
    if (p.deadline_ms > now_ms) break;
    if (!p.settled) write_waiting(p, 0);
    ++swept_seq_;
  }
}

void Mailbox::session_ended(SessionId session) {
  for (std::size_t n = 0; n < count_; ++n) {
    Pending& p = slot(n);
    if (!p.settled) write_waiting(p, session);
  }
}

Mailbox::Batch Mailbox::take_batch() {
  Batch batch{next_batch_++, std::move(ops_)};
  ops_.clear();
  in_flight_.emplace_back(batch.id, std::move(batch_seqs_));
  batch_seqs_.clear();
  return batch;
}

void Mailbox::finish_batch(Pending& p, std::uint64_t batch, bool ok) {
  std::optional<wire::ChatEvent> event;  // for the quota, decoded once
  for (std::size_t i = 0; i < p.targets.size(); ++i) {
    Target& t = p.targets[i];
    if (t.batch != batch) continue;
    const std::string& to = p.reply.recipients[i].user;
    // A row that was not written, or is deleted now, no longer counts.
    if (t.state == State::acked_writing || !ok) {
      if (!event) event = event_of(p);
      quota_.remove(event->from, to, event->text.size());
    }
    if (t.state == State::writing) {
      t.state = ok ? State::stored : State::failed;
      --p.unsettled;
    } else if (t.state == State::acked_writing) {
      t.state = State::acked;
      --p.unsettled;
      if (ok) ops_.push_back(op::AckOffline{to, {p.seq}});
    }
  }
}

Effects Mailbox::committed(std::uint64_t batch, bool ok) {
  Effects fx;
  auto it =
      std::find_if(in_flight_.begin(), in_flight_.end(), [&](const auto& b) { return b.first == batch; });
  if (it == in_flight_.end()) return fx;
  const std::vector<std::int64_t> seqs = std::move(it->second);
  in_flight_.erase(it);
  for (const std::int64_t seq : seqs) {
    Pending* p = pending(seq);
    if (!p) continue;
    finish_batch(*p, batch, ok);
    if (p->unsettled == 0) settle(*p, fx);
  }
  return fx;
}

std::optional<std::int64_t> Mailbox::next_deadline_ms() const {
  if (swept_seq_ - first_seq_ >= static_cast<std::int64_t>(count_)) return std::nullopt;
  return slot(static_cast<std::size_t>(swept_seq_ - first_seq_)).deadline_ms;
}

}  // namespace parley::server
