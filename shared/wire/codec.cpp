#include "shared/wire/codec.hpp"

#include <fmt/format.h>

#include <type_traits>

#include "shared/files/chunking.hpp"
#include "shared/files/file_names.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/wire/archive.hpp"
#include "shared/wire/frame.hpp"
#include "shared/wire/limits.hpp"

namespace parley::wire {

const char* to_string(Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::bad_request:
      return "bad request";
    case Status::unknown_user:
      return "unknown user";
    case Status::yourself:
      return "that is yourself";
    case Status::empty_text:
      return "empty text";
    case Status::blocked:
      return "blocked";
    case Status::already_blocked:
      return "already blocked";
    case Status::not_blocked:
      return "not blocked";
    case Status::not_logged_in:
      return "not logged in";
    case Status::already_logged_in:
      return "already logged in";
    case Status::wrong_password:
      return "wrong password";
    case Status::locked:
      return "locked";
    case Status::version_mismatch:
      return "version mismatch";
    case Status::stored_offline:
      return "stored for offline delivery";
    case Status::internal:
      return "internal server error";
    case Status::unknown_file:
      return "unknown file";
    case Status::already_registered:
      return "already registered";
    case Status::offline:
      return "offline";
    case Status::unavailable:
      return "unavailable";
    case Status::already_online:
      return "already logged in on this connection";
  }
  return "unknown status";
}

const char* to_string(LinkPurpose purpose) { return purpose == LinkPurpose::transfer ? "transfer" : "chat"; }

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
    if (static_cast<std::uint8_t>(s) > static_cast<std::uint8_t>(Status::already_registered))
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

void check(Checker& c, const Message& message) {
  std::visit(Overloaded{
                 [&](const Hello& m) { c.text(m.client, 128, "client"); },
                 [&](const Welcome& m) { c.text(m.server, 128, "server"); },
                 [&](const Heartbeat&) {},
                 [&](const Login& m) {
                   c.text(m.user, kMaxUsername, "user");
                   c.text(m.password, kMaxPassword, "password");
                 },
                 [&](const SendMessage& m) {
                   c.text(m.msg_id, kMaxMessageId, "msg_id");
                   c.count(m.to, kMaxRecipients, "to");
                   for (const auto& u : m.to) c.text(u, kMaxUsername, "to");
                   c.text(m.text, kMaxText, "text");
                 },
                 [&](const Broadcast& m) {
                   c.text(m.msg_id, kMaxMessageId, "msg_id");
                   c.text(m.text, kMaxText, "text");
                 },
                 [&](const WhoElse&) {},
                 [&](const WhoElseSince& m) {
                   if (m.seconds < 0) c.fail("seconds: negative");
                 },
                 [&](const Block& m) { c.text(m.user, kMaxUsername, "user"); },
                 [&](const Unblock& m) { c.text(m.user, kMaxUsername, "user"); },
                 [&](const Logout&) {},
                 [&](const AckOffline& m) { c.count(m.seqs, kMaxOfflineBatch, "seqs"); },
                 [&](const LoginResult& m) {
                   c.status(m.status);
                   c.text(m.user, kMaxUsername, "user");
                   c.text(m.message, kMaxReason, "message");
                 },
                 [&](const Result& m) {
                   c.status(m.status);
                   c.text(m.message, kMaxReason, "message");
                 },
                 [&](const SendResult& m) {
                   c.count(m.recipients, kMaxRecipients, "recipients");
                   for (const auto& r : m.recipients) {
                     c.text(r.user, kMaxUsername, "user");
                     c.status(r.status);
                   }
                 },
                 [&](const BroadcastResult&) {},
                 [&](const UserList& m) {
                   c.count(m.users, kMaxUserList, "users");
                   for (const auto& u : m.users) c.user(u, "users");
                 },
                 [&](const ChatEvent& m) {
                   c.text(m.msg_id, kMaxMessageId, "msg_id");
                   c.user(m.from, "from");
                   c.count(m.to, kMaxRecipients, "to");
                   for (const auto& u : m.to) c.user(u, "to");
                   c.text(m.text, kMaxText, "text");
                 },
                 [&](const BroadcastEvent& m) {
                   c.text(m.msg_id, kMaxMessageId, "msg_id");
                   c.user(m.from, "from");
                   c.text(m.text, kMaxText, "text");
                 },
                 [&](const PresenceEvent& m) { c.user(m.user, "user"); },
                 [&](const LoggedOut& m) { c.text(m.reason, kMaxReason, "reason"); },
                 [&](const ProtocolError& m) {
                   c.status(m.status);
                   c.text(m.message, kMaxReason, "message");
                 },
                 [&](const StartPrivate& m) {
                   c.text(m.user, kMaxUsername, "user");
                   c.purpose(m.purpose);
                 },
                 [&](const LinkRequest& m) {
                   c.text(m.token, kMaxToken, "token");
                   c.user(m.from, "from");
                   c.text(m.fingerprint, kMaxFingerprint, "fingerprint");
                   c.purpose(m.purpose);
                 },
                 [&](const LinkAnswer& m) {
                   c.text(m.token, kMaxToken, "token");
                   c.text(m.reason, kMaxReason, "reason");
                 },
                 [&](const LinkOffer& m) {
                   c.status(m.status);
                   c.text(m.message, kMaxReason, "message");
                   c.text(m.user, kMaxUsername, "user");
                   c.endpoint(m.endpoint);
                   c.text(m.token, kMaxToken, "token");
                   c.purpose(m.purpose);
                 },
                 [&](const RegisterFile& m) {
                   c.file_name(m.name);
                   c.digest(m.file_hash, "file_hash");
                   if (m.chunk_count < 1 || m.chunk_count > files::kMaxChunks || m.chunk_count > m.size)
                     c.fail("chunk_count: {} is out of range", m.chunk_count);
                   if (m.chunk_hashes.size() != m.chunk_count) c.fail("chunk_hashes: one per chunk");
                   for (const auto& h : m.chunk_hashes) c.digest(h, "chunk_hashes");
                 },
                 [&](const SearchFile& m) { c.text(m.name, files::kMaxFileName, "name"); },
                 [&](const FileInfo& m) {
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
                 },
                 [&](const HaveChunks& m) {
                   c.file_name(m.name);
                   c.bitfield(m.chunks);
                 },
                 [&](const Ping&) {},
                 [&](const Pong&) {},
                 [&](const Announcement& m) { c.text(m.text, kMaxText, "text"); },
             },
             message);
}

void check(Checker& c, const LinkMessage& message) {
  std::visit(Overloaded{
                 [&](const LinkHello& m) {
                   c.user(m.user, "user");
                   c.text(m.token, kMaxToken, "token");
                   c.purpose(m.purpose);
                 },
                 [&](const LinkWelcome& m) { c.user(m.user, "user"); },
                 [&](const LinkRefused& m) { c.text(m.reason, kMaxReason, "reason"); },
                 [&](const PrivateText& m) {
                   c.text(m.msg_id, kMaxMessageId, "msg_id");
                   c.text(m.text, kMaxText, "text");
                 },
                 [&](const PrivateAck& m) { c.text(m.msg_id, kMaxMessageId, "msg_id"); },
                 [&](const LinkBye& m) { c.text(m.reason, kMaxReason, "reason"); },
                 [&](const LinkHeartbeat&) {},
                 // The name is only bounded here: an unsafe one is refused (and logged) by
                 // the holder, which tells the downloader why instead of dropping the link.
                 [&](const PieceRequest& m) {
                   c.text(m.file, files::kMaxFileName, "file");
                   if (m.length == 0 || m.length > kMaxPiece) c.fail("length: {} is out of range", m.length);
                 },
                 [&](const PieceData& m) { c.text(m.data, kMaxPiece, "data"); },
                 [&](const PieceRefused& m) { c.text(m.reason, kMaxReason, "reason"); },
             },
             message);
}

// Encodes header + payload into a buffer kept by the thread, which the caller copies
// out once at its exact size: growing a fresh vector field by field cost about 8
// allocations per frame, a quarter of all the server's allocations per relayed message.
template <class M>
const std::vector<std::uint8_t>& encode_in_scratch(const M& message) {
  thread_local std::vector<std::uint8_t> scratch;
  // What an unusually large frame grew it to is not kept for the thread's lifetime.
  if (scratch.capacity() > 2 * kMaxLinkFrame) scratch = {};
  scratch.clear();
  scratch.resize(kFrameHeader);
  {
    WireWriter ar(scratch);
    ar(message);
  }
  write_be32(scratch.data(), static_cast<std::uint32_t>(scratch.size() - kFrameHeader));
  return scratch;
}

template <class M>
std::vector<std::uint8_t> encode(const M& message) {
  return encode_in_scratch(message);
}

template <class M>
SharedFrame make_shared_frame(const M& message) {
  return std::make_shared<const std::vector<std::uint8_t>>(encode_in_scratch(message));
}

template <class M>
DecodedAs<M> decode_as(std::span<const std::uint8_t> payload) {
  DecodedAs<M> result;
  try {
    WireReader ar(payload);
    M message;
    ar(message);
    if (ar.remaining() != 0) {
      result.error = fmt::format("{} trailing bytes after {}", ar.remaining(), type_name(message));
      return result;
    }
    if (auto error = validate(message); !error.empty()) {
      result.error = fmt::format("{}: {}", type_name(message), error);
      return result;
    }
    result.message = std::move(message);
  } catch (const std::exception& e) {
    // cereal reports bad variant indexes with its own exception type; std::bad_alloc is
    // impossible by construction but costs nothing to catch.
    result.error = fmt::format("undecodable payload: {}", e.what());
  }
  return result;
}

}  // namespace

const char* type_name(const Message& message) {
  static constexpr const char* kNames[] = {
      "Hello",          "Welcome",       "Heartbeat",    "Login",           "SendMessage",  "Broadcast",
      "WhoElse",        "WhoElseSince",  "Block",        "Unblock",         "Logout",       "AckOffline",
      "LoginResult",    "Result",        "SendResult",   "BroadcastResult", "UserList",     "ChatEvent",
      "BroadcastEvent", "PresenceEvent", "LoggedOut",    "ProtocolError",   "StartPrivate", "LinkRequest",
      "LinkAnswer",     "LinkOffer",     "RegisterFile", "SearchFile",      "FileInfo",     "HaveChunks",
      "Ping",           "Pong",          "Announcement"};
  static_assert(std::size(kNames) == std::variant_size_v<Message>);
  return kNames[message.index()];
}

std::string validate(const Message& message) {
  Checker c;
  check(c, message);
  return c.error;
}

std::string validate(const LinkMessage& message) {
  Checker c;
  check(c, message);
  return c.error;
}

const char* type_name(const LinkMessage& message) {
  static constexpr const char* kNames[] = {"LinkHello",  "LinkWelcome", "LinkRefused",   "PrivateText",
                                           "PrivateAck", "LinkBye",     "LinkHeartbeat", "PieceRequest",
                                           "PieceData",  "PieceRefused"};
  static_assert(std::size(kNames) == std::variant_size_v<LinkMessage>);
  return kNames[message.index()];
}

std::vector<std::uint8_t> encode_frame(const Message& message) { return encode(message); }
std::vector<std::uint8_t> encode_frame(const LinkMessage& message) { return encode(message); }

SharedFrame make_frame(const Message& message) { return make_shared_frame(message); }
SharedFrame make_frame(const LinkMessage& message) { return make_shared_frame(message); }

Decoded decode(std::span<const std::uint8_t> payload) { return decode_as<Message>(payload); }

std::optional<std::size_t> peek_index(std::span<const std::uint8_t> payload) {
  // The endianness marker, then cereal's variant index as a little-endian int32.
  if (payload.size() < 5 || payload[0] != 1) return std::nullopt;
  std::uint32_t index = std::uint32_t{payload[1]} | (std::uint32_t{payload[2]} << 8) |
                        (std::uint32_t{payload[3]} << 16) | (std::uint32_t{payload[4]} << 24);
  if (index >= std::variant_size_v<Message>) return std::nullopt;
  return index;
}
DecodedLink decode_link(std::span<const std::uint8_t> payload) { return decode_as<LinkMessage>(payload); }

}  // namespace parley::wire
