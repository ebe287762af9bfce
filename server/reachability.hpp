// The reachability check at login: the server dials the peer's advertised direct-link
// address as any other peer would, and expects the listener to present the certificate
// the peer logged in with and to echo the one-time token the server announced to it
// (ReachProbe) over the registry connection. Never blocks the loop: it is a coroutine
// with one deadline for the whole exchange. Arguments are references to named objects:
// g++ 12 destroys temporaries inside a co_await expression twice.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <string>

#include "shared/wire/messages.hpp"

namespace parley::server {

struct ProbeOutcome {
  bool reachable = false;
  bool someone_else = false;  // an answer, but not from this peer
  std::string reason;         // why not
};

// `tls` presents the server's certificate (direct-link listeners demand one).
asio::awaitable<ProbeOutcome> probe_listener(const asio::any_io_executor& executor, asio::ssl::context& tls,
                                             const wire::LinkEndpoint& endpoint, const std::string& token,
                                             std::chrono::milliseconds timeout);

}  // namespace parley::server
