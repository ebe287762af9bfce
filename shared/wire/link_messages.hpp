// Messages on a direct peer-to-peer link (docs/protocol.md, "Direct links"). A separate
// variant from the registry protocol: neither side can be confused into accepting the
// other's messages, and the server never needs to decode these. Chunk transfer adds
// its messages here, appended.
#pragma once

#include <cereal/types/common.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <string>
#include <variant>

namespace parley::wire {

inline constexpr std::uint32_t kLinkVersion = 1;

struct LinkHello {  // dialer -> listener, first frame
  std::uint32_t version = 0;
  std::string user;   // who is dialing
  std::string token;  // the single-use token the server gave both sides
  template <class A>
  void serialize(A& ar) {
    ar(version, user, token);
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

using LinkMessage =
    std::variant<LinkHello, LinkWelcome, LinkRefused, PrivateText, PrivateAck, LinkBye, LinkHeartbeat>;

const char* type_name(const LinkMessage& message);

}  // namespace parley::wire
