// The limit checks of validate(): one overload per message type, so a type appended to
// Message or LinkMessage without its checks does not compile.
#include <fmt/format.h>

#include "shared/files/chunking.hpp"
#include "shared/files/file_names.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/limits.hpp"

namespace parley::wire {
namespace {

// Accumulates the first limit violation found.
class Checker {
 public:
  void user(const std::string& name, const char* field) {
    if (!is_valid_username(name)) fail("{}: invalid user name", field);
  }
  void text(const std::string& s, std::size_t max, const char* field) {
    if (s.size() > max) fail("{}: {} bytes exceeds the {}-byte limit", field, s.size(), max);
  }
  void status(Status s) {
    if (static_cast<std::uint8_t>(s) > static_cast<std::uint8_t>(Status::rate_limited))
      fail("unknown status");
  }
  void purpose(LinkPurpose p) {
    if (p != LinkPurpose::chat && p != LinkPurpose::transfer) fail("unknown link purpose");
  }
  void file_name(const std::string& name) {
    if (!files::is_safe_file_name(name)) fail("invalid file name");
  }
  void digest(const std::string& d, const char* field) {
    if (d.size() != kDigest) fail("{}: a digest is {} bytes, not {}", field, kDigest, d.size());
  }
  void bitfield(const std::string& b) {
    if (b.size() > (files::kMaxChunks + 7) / 8) fail("chunks: bitfield too long");
  }
  void endpoint(const LinkEndpoint& e) {
    text(e.host, kMaxHost, "host");
    text(e.fingerprint, kMaxFingerprint, "fingerprint");
  }
  void path(LinkPath p) {
    if (static_cast<std::uint8_t>(p) > static_cast<std::uint8_t>(LinkPath::relay)) fail("unknown link path");
  }
  void relay(const RelayTicket& r) {
    text(r.host, kMaxHost, "relay host");
    text(r.fingerprint, kMaxFingerprint, "relay fingerprint");
    text(r.ticket, kMaxRelayTicket, "relay ticket");
  }
  template <class T>
  void count(const std::vector<T>& v, std::size_t max, const char* field) {
    if (v.size() > max) fail("{}: {} entries exceeds the limit of {}", field, v.size(), max);
  }
  template <class... Args>
  void fail(fmt::format_string<Args...> f, Args&&... args) {
    if (error.empty()) error = fmt::format(f, std::forward<Args>(args)...);
  }
  std::string error;
};

// ---- the registry protocol ----
void check(Checker& c, const Hello& m) { c.text(m.client, 128, "client"); }
void check(Checker& c, const Welcome& m) { c.text(m.server, 128, "server"); }
void check(Checker& c, const Login& m) {
  c.text(m.user, kMaxUsername, "user");
  c.text(m.password, kMaxPassword, "password");
}
void check(Checker& c, const SendMessage& m) {
  c.text(m.msg_id, kMaxMessageId, "msg_id");
  c.count(m.to, kMaxRecipients, "to");
  for (const auto& u : m.to) c.text(u, kMaxUsername, "to");
  c.text(m.text, kMaxText, "text");
}
void check(Checker& c, const Broadcast& m) {
  c.text(m.msg_id, kMaxMessageId, "msg_id");
  c.text(m.text, kMaxText, "text");
}
void check(Checker& c, const WhoElseSince& m) {
  if (m.seconds < 0) c.fail("seconds: negative");
}
void check(Checker& c, const Block& m) { c.text(m.user, kMaxUsername, "user"); }
void check(Checker& c, const Unblock& m) { c.text(m.user, kMaxUsername, "user"); }
void check(Checker& c, const AckOffline& m) { c.count(m.seqs, kMaxOfflineBatch, "seqs"); }
void check(Checker& c, const Resume& m) {
  c.text(m.user, kMaxUsername, "user");
  c.text(m.token, kMaxToken, "token");
  c.endpoint(m.endpoint);
}
void check(Checker& c, const LoginResult& m) {
  c.status(m.status);
  c.text(m.user, kMaxUsername, "user");
  c.text(m.message, kMaxReason, "message");
  c.text(m.resume_token, kMaxToken, "resume_token");
}
void check(Checker& c, const Result& m) {
  c.status(m.status);
  c.text(m.message, kMaxReason, "message");
}
void check(Checker& c, const SendResult& m) {
  c.count(m.recipients, kMaxRecipients, "recipients");
  for (const auto& r : m.recipients) {
    c.text(r.user, kMaxUsername, "user");
    c.status(r.status);
  }
}
void check(Checker& c, const UserList& m) {
  c.count(m.users, kMaxUserList, "users");
  for (const auto& u : m.users) c.user(u, "users");
  if (!m.last_seen_ms.empty() && m.last_seen_ms.size() != m.users.size())
    c.fail("last_seen_ms: {} entries for {} users", m.last_seen_ms.size(), m.users.size());
}
void check(Checker& c, const ChatEvent& m) {
  c.text(m.msg_id, kMaxMessageId, "msg_id");
  c.user(m.from, "from");
  c.count(m.to, kMaxRecipients, "to");
  for (const auto& u : m.to) c.user(u, "to");
  c.text(m.text, kMaxText, "text");
  if (m.seq <= 0) c.fail("seq: {} is not a mailbox id", m.seq);
}
void check(Checker& c, const BroadcastEvent& m) {
  c.text(m.msg_id, kMaxMessageId, "msg_id");
  c.user(m.from, "from");
  c.text(m.text, kMaxText, "text");
}
void check(Checker& c, const PresenceEvent& m) { c.user(m.user, "user"); }
void check(Checker& c, const LoggedOut& m) { c.text(m.reason, kMaxReason, "reason"); }
void check(Checker& c, const ProtocolError& m) {
  c.status(m.status);
  c.text(m.message, kMaxReason, "message");
}
void check(Checker& c, const StartPrivate& m) {
  c.text(m.user, kMaxUsername, "user");
  c.purpose(m.purpose);
}
void check(Checker& c, const LinkRequest& m) {
  c.text(m.token, kMaxToken, "token");
  c.user(m.from, "from");
  c.text(m.fingerprint, kMaxFingerprint, "fingerprint");
  c.purpose(m.purpose);
  c.path(m.path);
  c.endpoint(m.endpoint);
  c.relay(m.relay);
}
void check(Checker& c, const LinkAnswer& m) {
  c.text(m.token, kMaxToken, "token");
  c.text(m.reason, kMaxReason, "reason");
}
void check(Checker& c, const LinkOffer& m) {
  c.status(m.status);
  c.text(m.message, kMaxReason, "message");
  c.text(m.user, kMaxUsername, "user");
  c.endpoint(m.endpoint);
  c.text(m.token, kMaxToken, "token");
  c.purpose(m.purpose);
  c.path(m.path);
  c.relay(m.relay);
}
void check(Checker& c, const RegisterFile& m) {
  c.file_name(m.name);
  c.digest(m.file_hash, "file_hash");
  if (m.chunk_count < 1 || m.chunk_count > files::kMaxChunks || m.chunk_count > m.size)
    c.fail("chunk_count: {} is out of range", m.chunk_count);
  if (m.chunk_hashes.size() != m.chunk_count) c.fail("chunk_hashes: one per chunk");
  for (const auto& h : m.chunk_hashes) c.digest(h, "chunk_hashes");
}
void check(Checker& c, const SearchFile& m) { c.text(m.name, files::kMaxFileName, "name"); }
void check(Checker& c, const FileInfo& m) {
  c.status(m.status);
  c.text(m.message, kMaxReason, "message");
  c.text(m.name, files::kMaxFileName, "name");
  if (m.chunk_count > files::kMaxChunks) c.fail("chunk_count: too many");
  c.count(m.chunk_hashes, files::kMaxChunks, "chunk_hashes");
  for (const auto& h : m.chunk_hashes) c.digest(h, "chunk_hashes");
  c.count(m.holders, kMaxHolders, "holders");
  for (const auto& h : m.holders) {
    c.user(h.user, "holders");
    c.bitfield(h.chunks);
  }
}
void check(Checker& c, const HaveChunks& m) {
  c.file_name(m.name);
  c.bitfield(m.chunks);
}
void check(Checker& c, const Receipt& m) {
  c.text(m.msg_id, kMaxMessageId, "msg_id");
  c.user(m.user, "user");
}
void check(Checker& c, const ReachProbe& m) { c.text(m.token, kMaxToken, "token"); }
void check(Checker& c, const Reachability& m) {
  c.text(m.address, kMaxHost + 6, "address");
  c.text(m.seen_from, kMaxHost + 6, "seen_from");
  c.text(m.reason, kMaxReason, "reason");
}
void check(Checker& c, const Announcement& m) { c.text(m.text, kMaxText, "text"); }
void check(Checker& c, const IdleWarning& m) {
  if (m.seconds_left < 0) c.fail("seconds_left: negative");
}
// Nothing in them can break a limit.
void check(Checker&, const Heartbeat&) {}
void check(Checker&, const WhoElse&) {}
void check(Checker&, const ListBlocked&) {}
void check(Checker&, const Logout&) {}
void check(Checker&, const BroadcastResult&) {}
void check(Checker&, const Ping&) {}
void check(Checker&, const Pong&) {}

// ---- direct links ----
void check(Checker& c, const LinkHello& m) {
  c.user(m.user, "user");
  c.text(m.token, kMaxToken, "token");
  c.purpose(m.purpose);
}
void check(Checker& c, const LinkWelcome& m) { c.user(m.user, "user"); }
void check(Checker& c, const LinkRefused& m) { c.text(m.reason, kMaxReason, "reason"); }
void check(Checker& c, const PrivateText& m) {
  c.text(m.msg_id, kMaxMessageId, "msg_id");
  c.text(m.text, kMaxText, "text");
}
void check(Checker& c, const PrivateAck& m) { c.text(m.msg_id, kMaxMessageId, "msg_id"); }
void check(Checker& c, const LinkBye& m) { c.text(m.reason, kMaxReason, "reason"); }
void check(Checker&, const LinkHeartbeat&) {}
// The name is only bounded here: an unsafe one is refused (and logged) by the holder,
// which tells the downloader why instead of dropping the link.
void check(Checker& c, const PieceRequest& m) {
  c.text(m.file, files::kMaxFileName, "file");
  if (m.length == 0 || m.length > kMaxPiece) c.fail("length: {} is out of range", m.length);
}
void check(Checker& c, const PieceData& m) { c.text(m.data, kMaxPiece, "data"); }
void check(Checker& c, const PieceRefused& m) { c.text(m.reason, kMaxReason, "reason"); }
void check(Checker& c, const LinkProbe& m) { c.text(m.token, kMaxToken, "token"); }
void check(Checker& c, const RelayHello& m) { c.text(m.ticket, kMaxRelayTicket, "ticket"); }
void check(Checker& c, const RelayAnswer& m) { c.text(m.reason, kMaxReason, "reason"); }

template <class Variant>
std::string first_violation(const Variant& message) {
  Checker c;
  std::visit([&](const auto& m) { check(c, m); }, message);
  return c.error;
}

}  // namespace

std::string validate(const Message& message) { return first_violation(message); }
std::string validate(const LinkMessage& message) { return first_violation(message); }

}  // namespace parley::wire
