// Dialing out: connect within a deadline, TLS with the listener's certificate pinned to
// the fingerprint the server vouched for, hello with the server's token, then wait for
// the listener's welcome or refusal.
#include <fmt/format.h>

#include <asio/connect.hpp>

#include "peer/links/link_manager.hpp"
#include "peer/links/link_state.hpp"
#include "shared/net/async.hpp"
#include "shared/net/stream_io.hpp"

namespace parley::peer {
asio::awaitable<std::string> LinkManager::dial(const wire::LinkOffer& offer) {
  const std::string user = offer.user;
  const Key key{user, offer.purpose};
  if (links_.contains(key))
    co_return fmt::format("a {} link with {} is already open", wire::to_string(offer.purpose), user);
  if (offer.path == wire::LinkPath::reverse) co_return co_await await_dial(offer);
  auto alive = alive_;
  std::string error;
  std::optional<asio::ip::tcp::socket> socket;
  if (offer.path == wire::LinkPath::relay) {
    socket = co_await through_relay(offer.relay, user, &error);
  } else {
    socket.emplace(executor_);
    if (auto ec = co_await net::connect_within(*socket, offer.endpoint.host, offer.endpoint.port,
                                               settings_.hello_timeout)) {
      error = fmt::format("cannot reach {} at {}:{}: {}", user, offer.endpoint.host, offer.endpoint.port,
                          ec.message());
      socket.reset();
    }
  }
  if (!*alive) co_return std::string("shutting down");
  if (!socket) co_return error;
  co_return co_await dial_over(*socket, offer);
}

// TLS with the other side's certificate pinned, our hello, and its welcome or refusal.
asio::awaitable<std::string> LinkManager::dial_over(asio::ip::tcp::socket& socket,
                                                    const wire::LinkOffer& offer) {
  const std::string user = offer.user;
  const Key key{user, offer.purpose};
  auto alive = alive_;

  auto connection = std::make_shared<net::Connection>(net::TlsStream(std::move(socket), tls_), kLinkLimits);
  net::AsyncEvent wake(executor_);
  Dial dial{key, &wake, std::nullopt, offer.path};
  dialing_[connection.get()] = &dial;
  // Pin before anything is sent: a listener with another certificate is not `user`.
  std::weak_ptr<net::Connection> weak = connection;
  adopt(connection, net::Role::client, [weak, expected = offer.endpoint.fingerprint, user]() -> std::string {
    auto c = weak.lock();
    if (!c) return "closed";
    if (net::fingerprints_equal(c->peer_fingerprint(), expected)) return {};
    return fmt::format("the certificate of {}'s listener is not the one the server vouched for", user);
  });
  connection->send(wire::LinkMessage{wire::LinkHello{wire::kLinkVersion, user_, offer.token, offer.purpose}});

  const auto deadline = net::Clock::now() + settings_.hello_timeout;
  while (!dial.outcome && *alive)
    if (!co_await wake.wait(deadline)) break;
  if (!*alive) co_return std::string("shutting down");
  dialing_.erase(connection.get());
  // Both sides dialed at once and the other connection was kept: the link the user
  // asked for exists all the same.
  if ((!dial.outcome || !dial.outcome->empty()) && links_.contains(key)) {
    connection->close("duplicate link");
    co_return std::string{};
  }
  if (!dial.outcome) {
    connection->close("no answer to hello");
    co_return fmt::format("{} did not answer the direct link", user);
  }
  if (!dial.outcome->empty()) connection->close(*dial.outcome);
  co_return *dial.outcome;
}

// The listener's answer to our hello, on a connection that is not a link yet.
void LinkManager::on_dial_answer(const std::shared_ptr<net::Connection>& connection,
                                 const wire::LinkMessage& message) {
  auto it = dialing_.find(connection.get());
  if (it == dialing_.end()) return;
  Dial& dial = *it->second;
  if (std::holds_alternative<wire::LinkWelcome>(message)) {
    dialing_.erase(it);
    open_link(dial.key, connection, true, dial.path);
    dial.outcome = "";
  } else if (auto* refused = std::get_if<wire::LinkRefused>(&message)) {
    dial.outcome = "the other side refused the link: " + refused->reason;
  } else {
    dial.outcome = "unexpected answer to hello";
  }
  dial.wake->notify();
}

}  // namespace parley::peer
