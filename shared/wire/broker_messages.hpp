// The registry protocol's messages about direct links (docs/protocol.md, "Direct links"
// and "Paths"): where a peer takes links, how the server brokers one between two peers,
// and the reachability check at login. Part of wire::Message (messages.hpp).
#pragma once

#include <cereal/types/string.hpp>
#include <cstdint>
#include <string>

#include "shared/wire/status.hpp"

namespace parley::wire {

// Where and as whom a peer accepts direct links.
struct LinkEndpoint {
  std::string host;  // empty: the peer takes no direct links
  std::uint16_t port = 0;
  std::string fingerprint;  // SHA-256 of the peer's identity certificate, hex
  template <class A>
  void serialize(A& ar) {
    ar(host, port, fingerprint);
  }
};

// ---- brokering a direct link (docs/protocol.md, "Direct links") ----
// What a direct link is for. A pair of peers may have one link of each kind: chunk
// transfers get their own TCP connection, so a download never delays a private chat
// and is never shown as one.
enum class LinkPurpose : std::uint8_t {
  chat = 0,
  transfer = 1,
};
const char* to_string(LinkPurpose purpose);

// How the two peers of a link reach each other (docs/protocol.md, "Paths"): the server
// picks one from what the reachability checks found.
enum class LinkPath : std::uint8_t {
  direct = 0,   // the requester dials the target's listener
  reverse = 1,  // the target dials the requester's listener (the target is behind NAT)
  punched = 2,  // both dial each other at once (reserved: not offered by this server)
  relay = 3,    // both dial a relay, which pairs them and copies bytes both ways
};
const char* to_string(LinkPath path);

// Where to meet the other peer through a relay: its address and certificate, and the
// ticket (single-use, for this user and this link only) that pairs us there.
struct RelayTicket {
  std::string host;
  std::uint16_t port = 0;
  std::string fingerprint;  // the relay's TLS certificate, hex
  std::string ticket;
  template <class A>
  void serialize(A& ar) {
    ar(host, port, fingerprint, ticket);
  }
};

struct StartPrivate {  // requester -> server
  std::uint32_t request = 0;
  std::string user;
  LinkPurpose purpose = LinkPurpose::chat;
  template <class A>
  void serialize(A& ar) {
    ar(request, user, purpose);
  }
};
struct LinkRequest {  // server -> target: expect `from`, presenting `fingerprint` and `token`
  std::string token;
  std::string from;
  std::string fingerprint;
  LinkPurpose purpose = LinkPurpose::chat;
  // direct: wait for the dial. reverse: dial `endpoint` (the requester's listener) and
  // say hello with `token`. relay: meet the requester at `relay`, then wait for its hello.
  LinkPath path = LinkPath::direct;
  LinkEndpoint endpoint = {};
  RelayTicket relay = {};
  template <class A>
  void serialize(A& ar) {
    ar(token, from, fingerprint, purpose, path, endpoint, relay);
  }
};
struct LinkAnswer {  // target -> server: ready for the dial, or not
  std::string token;
  bool accept = false;
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(token, accept, reason);
  }
};
struct LinkOffer {  // server -> requester, the reply to StartPrivate
  std::uint32_t request = 0;
  Status status = Status::ok;
  std::string message;  // why not, when status is not ok
  std::string user;
  LinkEndpoint endpoint;  // where to dial and the certificate to expect
  std::string token;      // to present in LinkHello
  LinkPurpose purpose = LinkPurpose::chat;
  // direct: dial `endpoint`. reverse: the target dials us: expect it with `token` and
  // the certificate `endpoint.fingerprint`. relay: meet the target at `relay`, then dial
  // through it as if directly.
  LinkPath path = LinkPath::direct;
  RelayTicket relay = {};
  template <class A>
  void serialize(A& ar) {
    ar(request, status, message, user, endpoint, token, purpose, path, relay);
  }
};

// ---- the reachability check at login ----
// server -> client, right after a successful login: the server is about to dial the
// advertised direct-link endpoint and will present `token` there in a LinkProbe.
struct ReachProbe {
  std::string token;
  template <class A>
  void serialize(A& ar) {
    ar(token);
  }
};
// server -> client: what the probe found. `reachable`: the listener answered with the
// token and the certificate given at login. `someone_else`: something answered at that
// address, but not this peer (a wrong --advertise).
struct Reachability {
  bool reachable = false;
  bool someone_else = false;
  std::string address;    // host:port the server dialed
  std::string seen_from;  // the address the server sees this session come from
  std::string reason;     // why not, when not reachable
  template <class A>
  void serialize(A& ar) {
    ar(reachable, someone_else, address, seen_from, reason);
  }
};

}  // namespace parley::wire
