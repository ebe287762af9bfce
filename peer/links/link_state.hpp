// What LinkManager keeps about each open link and each dial in progress, shared by the
// files that implement it: link_manager.cpp (connections, hellos, opening and dropping
// links), link_dial.cpp (dialing out) and link_traffic.cpp (what open links carry).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "peer/links/link_manager.hpp"
#include "shared/net/async.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {

// Direct links carry chunk pieces: room for one piece per frame, and for the pieces a
// downloader may have asked for (kMaxPiecesInFlight) while it reads slowly.
inline const net::ConnectionLimits kLinkLimits{
    .max_frame = wire::kMaxLinkFrame, .max_outbox_bytes = 2 * wire::kMaxPiecesInFlight * wire::kMaxLinkFrame};

struct LinkManager::Link {
  std::string user;
  Purpose purpose = Purpose::chat;
  std::shared_ptr<net::Connection> connection;
  bool dialed_by_me = false;
  wire::LinkPath path = wire::LinkPath::direct;
  net::Clock::time_point last_sent = net::Clock::now();
  net::Clock::time_point last_piece = net::Clock::now();  // transfer links: last piece either way
  // Private messages waiting for their acknowledgement: msg_id -> the waiter's flag and
  // event (the event lives in the waiting coroutine's frame).
  struct Waiter {
    net::AsyncEvent* wake;
    bool acknowledged = false;
  };
  std::unordered_map<std::string, Waiter*> waiting;
};

struct LinkManager::Dial {
  Key key;  // the user as the server named them, whatever the listener says
  net::AsyncEvent* wake;
  std::optional<std::string> outcome;  // "" when the link opened
  wire::LinkPath path = wire::LinkPath::direct;
};

}  // namespace parley::peer
