// The delivery bookkeeping of protocol 6 on its own: the ack grace, what is written and
// when, what the sender is answered, resends, session ends and restarts. No sockets, no
// disk: batches are "committed" by hand.
#include <doctest/doctest.h>

#include <algorithm>

#include "server/registry/mailbox.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"

using namespace parley::server;
using namespace parley::wire;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;
constexpr std::int64_t kGrace = 200;
constexpr SessionId kAlice = 1, kBob = 2, kCarol = 3;

// A mailbox restored from an empty store (so no seq reservation is pending).
Mailbox fresh() {
  Mailbox m(kGrace);
  m.restore(PersistedState{});
  return m;
}

// alice -> the recipients; `online` gives each one's session (0: offline).
Mailbox::Letter letter(std::string id, std::vector<std::pair<std::string, SessionId>> to,
                       std::uint32_t request = 7) {
  Mailbox::Letter l;
  l.sender = kAlice;
  l.from = "alice";
  l.request = SendMessage{request, std::move(id), {}, "hello"};
  for (auto& [name, session] : to) {
    l.reply.recipients.push_back({name, Status::stored_offline});
    l.targets.push_back({session, Mailbox::State::waiting, 0});
  }
  if (to.size() > 1)
    for (auto& [name, session] : to) l.group.push_back(name);
  l.reply.request = request;
  return l;
}

ChatEvent chat_of(const Outbound& out) {
  REQUIRE(out.frame);
  auto decoded = decode(std::span(*out.frame).subspan(kFrameHeader));
  REQUIRE(decoded.message);
  return std::get<ChatEvent>(*decoded.message);
}

const SendResult* result_for(const Effects& fx, SessionId session) {
  for (const auto& [to, message] : fx.direct)
    if (to == session)
      if (auto* r = std::get_if<SendResult>(&message)) return r;
  return nullptr;
}

std::size_t puts_in(const Mailbox::Batch& b) {
  return static_cast<std::size_t>(std::count_if(b.ops.begin(), b.ops.end(), [](const WriteOp& op) {
    return std::holds_alternative<op::PutOffline>(op);
  }));
}

}  // namespace

TEST_CASE("mailbox: acknowledged within the grace, nothing is written and the sender hears ok") {
  auto m = fresh();
  auto fx = m.send(letter("m1", {{"bob", kBob}}), T0);
  REQUIRE(fx.sends.size() == 1);
  CHECK(fx.sends[0].to == std::vector<SessionId>{kBob});
  const auto chat = chat_of(fx.sends[0]);
  CHECK(chat.seq > 0);
  CHECK_FALSE(chat.offline);
  CHECK(chat.msg_id == "m1");
  CHECK(fx.direct.empty());  // no answer before the acknowledgement
  CHECK_FALSE(fx.reply);
  CHECK_FALSE(m.has_batch());

  const std::int64_t seq = chat.seq;
  auto acked = m.acknowledge(kBob, "bob", std::vector<std::int64_t>{seq});
  const auto* result = result_for(acked.fx, kAlice);
  REQUIRE(result);
  CHECK(result->request == 7);
  CHECK(result->recipients.at(0).status == Status::ok);
  CHECK(acked.receipts.empty());
  m.expire(T0 + 10 * kGrace);
  CHECK_FALSE(m.has_batch());  // never written
  CHECK(m.in_grace() == 0);
  CHECK(m.stored() == 0);
}

TEST_CASE("mailbox: unacknowledged after the grace, written in one batch; stored, then a receipt") {
  auto m = fresh();
  const auto first = chat_of(m.send(letter("m1", {{"bob", kBob}}), T0).sends.at(0)).seq;
  const auto second = chat_of(m.send(letter("m2", {{"bob", kBob}}), T0 + 50).sends.at(0)).seq;
  CHECK(second == first + 1);
  CHECK(m.next_deadline_ms() == T0 + kGrace);
  m.expire(T0 + kGrace - 1);
  CHECK_FALSE(m.has_batch());
  m.expire(T0 + kGrace + 60);  // both overdue: one batch
  REQUIRE(m.has_batch());
  auto batch = m.take_batch();
  CHECK(puts_in(batch) == 2);
  const auto& row = std::get<op::PutOffline>(batch.ops[0]).message;
  CHECK(row.seq == first);
  CHECK(row.to == "bob");
  CHECK(row.from == "alice");
  CHECK(row.text == "hello");
  CHECK_FALSE(m.next_deadline_ms());

  auto fx = m.committed(batch.id, true);
  REQUIRE(fx.direct.size() == 2);
  CHECK(std::get<SendResult>(fx.direct[0].second).recipients[0].status == Status::stored_offline);
  CHECK(m.stored() == 2);

  auto acked = m.acknowledge(kBob, "bob", std::vector<std::int64_t>{first});
  REQUIRE(acked.receipts.size() == 1);
  CHECK(acked.receipts[0].first == "alice");
  CHECK(acked.receipts[0].second.msg_id == "m1");
  CHECK(acked.receipts[0].second.user == "bob");
  auto deletes = m.take_batch();
  REQUIRE(deletes.ops.size() == 1);
  CHECK(std::get<op::AckOffline>(deletes.ops[0]).seqs == std::vector<std::int64_t>{first});
  // Acknowledged twice, or by someone else: nothing.
  CHECK(m.acknowledge(kBob, "bob", std::vector<std::int64_t>{first}).receipts.empty());
  CHECK(m.acknowledge(kCarol, "carol", std::vector<std::int64_t>{second}).receipts.empty());
  CHECK_FALSE(m.has_batch());
}

TEST_CASE("mailbox: an offline recipient is written at once; an ack during the commit deletes it after") {
  auto m = fresh();
  auto fx = m.send(letter("m1", {{"carol", 0}}), T0);
  CHECK(fx.sends.empty());
  REQUIRE(m.has_batch());
  auto batch = m.take_batch();
  CHECK(puts_in(batch) == 1);
  auto done = m.committed(batch.id, true);
  CHECK(result_for(done, kAlice)->recipients[0].status == Status::stored_offline);

  // Online but acknowledged only while its row was being written.
  auto sent = m.send(letter("m2", {{"bob", kBob}}), T0);
  const auto seq = chat_of(sent.sends.at(0)).seq;
  m.expire(T0 + kGrace);
  auto writing = m.take_batch();
  CHECK(
      m.acknowledge(kBob, "bob", std::vector<std::int64_t>{seq}).fx.direct.empty());  // waits for the commit
  auto after = m.committed(writing.id, true);
  CHECK(result_for(after, kAlice)->recipients[0].status == Status::ok);
  auto deletes = m.take_batch();
  REQUIRE(deletes.ops.size() == 1);
  CHECK(std::get<op::AckOffline>(deletes.ops[0]).user == "bob");
  CHECK(m.stored() == 1);  // only carol's
}

TEST_CASE("mailbox: a failed commit answers internal, and a resend is then a new message") {
  auto m = fresh();
  m.send(letter("m1", {{"carol", 0}}), T0);
  auto batch = m.take_batch();
  CHECK(result_for(m.committed(batch.id, false), kAlice)->recipients[0].status == Status::internal);
  auto again = m.send(letter("m1", {{"carol", 0}}), T0 + 1);
  CHECK_FALSE(again.reply);
  CHECK(m.has_batch());
}

TEST_CASE("mailbox: the recipient's session ends within the grace: written at once") {
  auto m = fresh();
  m.send(letter("m1", {{"bob", kBob}}), T0);
  m.send(letter("m2", {{"carol", kCarol}}), T0);
  m.session_ended(kBob);
  auto batch = m.take_batch();
  REQUIRE(puts_in(batch) == 1);
  CHECK(std::get<op::PutOffline>(batch.ops[0]).message.to == "bob");
  CHECK(result_for(m.committed(batch.id, true), kAlice)->recipients[0].status == Status::stored_offline);
}

TEST_CASE("mailbox: a group message has one seq and one frame; each recipient settles on its own") {
  auto m = fresh();
  auto fx = m.send(letter("g", {{"bob", kBob}, {"carol", kCarol}, {"dave", 0}}), T0);
  REQUIRE(fx.sends.size() == 1);
  CHECK(fx.sends[0].to == std::vector<SessionId>{kBob, kCarol});
  const auto chat = chat_of(fx.sends[0]);
  CHECK(chat.to == std::vector<std::string>{"bob", "carol", "dave"});
  auto dave_row = m.take_batch();
  CHECK(puts_in(dave_row) == 1);
  CHECK(m.committed(dave_row.id, true).direct.empty());  // bob and carol still in their grace
  CHECK(m.acknowledge(kBob, "bob", std::vector<std::int64_t>{chat.seq}).fx.direct.empty());
  m.expire(T0 + kGrace);
  auto carol_row = m.take_batch();
  CHECK(puts_in(carol_row) == 1);
  auto fx2 = m.committed(carol_row.id, true);
  const auto* result = result_for(fx2, kAlice);
  REQUIRE(result);
  CHECK(result->recipients[0].status == Status::ok);
  CHECK(result->recipients[1].status == Status::stored_offline);
  CHECK(result->recipients[2].status == Status::stored_offline);
}

TEST_CASE("mailbox: a resend makes no second copy: in the grace, stored, or acknowledged") {
  auto m = fresh();
  auto fx = m.send(letter("m1", {{"bob", kBob}}, 1), T0);
  const auto seq = chat_of(fx.sends.at(0)).seq;
  // In the grace: answered together with the original.
  auto resent = m.send(letter("m1", {{"bob", kBob}}, 2), T0 + 1);
  CHECK(resent.sends.empty());
  CHECK_FALSE(resent.reply);
  auto acked = m.acknowledge(kBob, "bob", std::vector<std::int64_t>{seq});
  REQUIRE(acked.fx.direct.size() == 2);
  for (const auto& [to, message] : acked.fx.direct)
    CHECK(std::get<SendResult>(message).recipients[0].status == Status::ok);
  // Acknowledged: ok at once, nothing sent.
  auto late = m.send(letter("m1", {{"bob", kBob}}, 3), T0 + 2);
  CHECK(late.sends.empty());
  REQUIRE(late.reply);
  CHECK(std::get<SendResult>(*late.reply).recipients[0].status == Status::ok);
  CHECK(std::get<SendResult>(*late.reply).request == 3);

  // Stored: stored_offline at once, no second row.
  m.send(letter("m2", {{"carol", 0}}), T0);
  auto batch = m.take_batch();
  m.committed(batch.id, true);
  auto stored = m.send(letter("m2", {{"carol", 0}}), T0 + 3);
  REQUIRE(stored.reply);
  CHECK(std::get<SendResult>(*stored.reply).recipients[0].status == Status::stored_offline);
  CHECK_FALSE(m.has_batch());
  // Another sender's message with the same id is a different message.
  auto other = letter("m2", {{"carol", 0}});
  other.from = "bob";
  other.sender = kBob;
  CHECK_FALSE(m.send(std::move(other), T0 + 4).reply);
  CHECK(m.has_batch());
}

TEST_CASE("mailbox: a restart keeps the stored rows, recognises their resends, and never reuses a seq") {
  PersistedState state;
  state.mailbox = {{40, "bob", "alice", "old"}, {40, "carol", "alice", "old"}};
  state.seq_reserved = 1000;
  Mailbox m(kGrace);
  m.restore(state);
  CHECK(m.next_seq() == 1000);
  CHECK(m.reservation().below >= 1000 + Mailbox::kSeqBlock);
  CHECK(m.stored() == 1);
  auto resent = m.send(letter("old", {{"bob", kBob}, {"carol", 0}}), T0);
  REQUIRE(resent.reply);
  CHECK(std::get<SendResult>(*resent.reply).recipients[0].status == Status::stored_offline);
  CHECK(m.acknowledge(kBob, "bob", std::vector<std::int64_t>{40}).receipts.size() == 1);
  auto after = m.send(letter("old", {{"bob", kBob}, {"carol", 0}}), T0);
  CHECK(std::get<SendResult>(*after.reply).recipients[0].status == Status::ok);
  CHECK(std::get<SendResult>(*after.reply).recipients[1].status == Status::stored_offline);
  CHECK(chat_of(m.send(letter("new", {{"bob", kBob}}), T0).sends.at(0)).seq == 1000);

  // Rows above the reservation (an older database) still push the counter past them.
  PersistedState rows_only;
  rows_only.mailbox = {{77, "bob", "alice", "x"}};
  Mailbox n(kGrace);
  n.restore(rows_only);
  CHECK(n.next_seq() == 78);
}

TEST_CASE("mailbox: seqs are reserved on disk a block ahead, with the batch that crosses half of it") {
  Mailbox m(kGrace);  // never restored: nothing reserved yet
  m.send(letter("a", {{"bob", kBob}}), T0);
  REQUIRE(m.has_batch());
  auto batch = m.take_batch();
  REQUIRE(batch.ops.size() == 1);
  CHECK(std::get<op::ReserveSeqs>(batch.ops[0]).below > 1);
}

TEST_CASE("mailbox quota: rows count from their write until deleted or failed") {
  Mailbox m(kGrace, MailboxQuotaSettings{.max_per_recipient = 2,
                                         .max_bytes_per_recipient = 1 << 20,
                                         .max_per_sender = 3,
                                         .max_bytes_per_sender = 1 << 20});
  m.restore(PersistedState{});
  CHECK(m.fits("alice", "bob", 5));
  m.send(letter("m1", {{"bob", 0}}), T0);  // offline: written at once
  m.send(letter("m2", {{"bob", 0}}), T0);
  CHECK(m.quota().of_recipient("bob").rows == 2);
  CHECK(m.quota().of_recipient("bob").bytes == 10);  // "hello" twice
  CHECK_FALSE(m.fits("alice", "bob", 5));            // bob's box is full, for anyone
  CHECK_FALSE(m.fits("dave", "bob", 5));
  CHECK(m.fits("alice", "carol", 5));
  m.send(letter("m3", {{"carol", 0}}), T0);
  CHECK_FALSE(m.fits("alice", "erin", 5));  // alice has 3 waiting
  CHECK(m.fits("dave", "erin", 5));

  auto batch = m.take_batch();
  m.committed(batch.id, true);
  // bob reads one: room for one more.
  auto acked = m.acknowledge(kBob, "bob", std::vector<std::int64_t>{1});
  CHECK(acked.receipts.size() == 1);
  CHECK(m.quota().of_recipient("bob").rows == 1);
  CHECK(m.fits("dave", "bob", 5));
  CHECK(m.quota().of_sender("alice").rows == 2);
}

TEST_CASE("mailbox quota: a failed write frees its place; a restart counts what is stored") {
  Mailbox m(kGrace, MailboxQuotaSettings{.max_per_recipient = 1});
  m.restore(PersistedState{});
  m.send(letter("m1", {{"bob", 0}}), T0);
  CHECK_FALSE(m.fits("alice", "bob", 5));
  auto batch = m.take_batch();
  m.committed(batch.id, false);
  CHECK(m.fits("alice", "bob", 5));

  PersistedState state;
  state.mailbox.push_back(MailboxRow{4, "bob", "alice", "m9", 11});
  Mailbox restarted(kGrace, MailboxQuotaSettings{.max_per_recipient = 1});
  restarted.restore(state);
  CHECK(restarted.quota().of_recipient("bob").bytes == 11);
  CHECK_FALSE(restarted.fits("carol", "bob", 1));
}
