// Messages on a direct peer-to-peer link (docs/protocol.md, "Direct links"). A separate
// variant from the registry protocol: neither side can be confused into accepting the
// other's messages, and the server never needs to decode these. New types are only
// ever appended.
#pragma once

#include <cereal/types/common.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <string>
#include <variant>

#include "shared/wire/messages.hpp"

namespace parley::wire {

inline constexpr std::uint32_t kLinkVersion = 3;

struct LinkHello {  // dialer -> listener, first frame
  std::uint32_t version = 0;
  std::string user;                         // who is dialing
  std::string token;                        // the single-use token the server gave both sides
  LinkPurpose purpose = LinkPurpose::chat;  // must match what the server announced
  template <class A>
  void serialize(A& ar) {
    ar(version, user, token, purpose);
  }
};
struct LinkWelcome {  // listener -> dialer: the link is open
  std::string user;
  template <class A>
  void serialize(A& ar) {
    ar(user);
  }
};
struct LinkRefused {  // listener -> dialer, before closing
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(reason);
  }
};
struct PrivateText {
  std::string msg_id;
  std::string text;
  std::int64_t sent_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(msg_id, text, sent_ms);
  }
};
struct PrivateAck {  // the text was shown
  std::string msg_id;
  template <class A>
  void serialize(A& ar) {
    ar(msg_id);
  }
};
struct LinkBye {  // the sender closes the link on purpose
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(reason);
  }
};
struct LinkHeartbeat {
  template <class A>
  void serialize(A&) {}
};

// ---- chunk transfer, on transfer links only (docs/protocol.md, "Downloads") ----
// The downloader asks for one piece (at most kMaxPiece bytes) of a chunk it knows the
// holder has; the holder answers every request, in order, with the bytes or a refusal.
// Chunk numbers are 0-based; `offset` is from the start of the chunk.
struct PieceRequest {
  std::uint32_t id = 0;  // chosen by the downloader, echoed in the answer
  std::string file;
  std::uint32_t chunk = 0;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  template <class A>
  void serialize(A& ar) {
    ar(id, file, chunk, offset, length);
  }
};
struct PieceData {
  std::uint32_t id = 0;
  std::string data;  // exactly the requested length
  template <class A>
  void serialize(A& ar) {
    ar(id, data);
  }
};
struct PieceRefused {
  std::uint32_t id = 0;
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(id, reason);
  }
};

// ---- reachability and relays (docs/protocol.md, "Paths") ----
// The server's first frame on a direct-link listener it dials to check reachability;
// the listener echoes it if the token is the one the server announced (ReachProbe),
// else answers LinkRefused. Either way the connection then closes.
struct LinkProbe {
  std::string token;
  template <class A>
  void serialize(A& ar) {
    ar(token);
  }
};
// A peer's first frame to a relay, inside TLS to the relay: the ticket the server gave it.
struct RelayHello {
  std::uint32_t version = 0;
  std::string ticket;
  template <class A>
  void serialize(A& ar) {
    ar(version, ticket);
  }
};
// The relay's answer, once the other half arrived (ok) or the pairing failed. After an
// ok, the connection carries the other peer's bytes, unchanged, both ways.
struct RelayAnswer {
  bool ok = false;
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(ok, reason);
  }
};

using LinkMessage =
    std::variant<LinkHello, LinkWelcome, LinkRefused, PrivateText, PrivateAck, LinkBye, LinkHeartbeat,
                 PieceRequest, PieceData, PieceRefused, LinkProbe, RelayHello, RelayAnswer>;

const char* type_name(const LinkMessage& message);

}  // namespace parley::wire
