#include "shared/wire/codec.hpp"

#include <fmt/format.h>

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
    case Status::token_refused:
      return "resumption token refused";
    case Status::rate_limited:
      return "rate limited";
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

const char* to_string(LinkPath path) {
  switch (path) {
    case LinkPath::direct:
      return "direct";
    case LinkPath::reverse:
      return "reverse";
    case LinkPath::punched:
      return "punched";
    case LinkPath::relay:
      return "relay";
  }
  return "unknown";
}

namespace {

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
      "Ping",           "Pong",          "Announcement", "IdleWarning",     "Receipt",      "Resume",
      "ReachProbe",     "Reachability",  "ListBlocked"};
  static_assert(std::size(kNames) == std::variant_size_v<Message>);
  return kNames[message.index()];
}

const char* type_name(const LinkMessage& message) {
  static constexpr const char* kNames[] = {"LinkHello",  "LinkWelcome",  "LinkRefused",   "PrivateText",
                                           "PrivateAck", "LinkBye",      "LinkHeartbeat", "PieceRequest",
                                           "PieceData",  "PieceRefused", "LinkProbe",     "RelayHello",
                                           "RelayAnswer"};
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
