// Dialing out: connect within a deadline, TLS with the listener's certificate pinned to
// the fingerprint the server vouched for, hello with the server's token, then wait for
// the listener's welcome or refusal.
#include <fmt/format.h>

#include <asio/connect.hpp>

#include "peer/links/link_manager.hpp"
#include "peer/links/link_state.hpp"
#include "shared/net/async.hpp"

namespace parley::peer {
namespace {

// A TCP connection to the listener `offer` names, within `timeout`; nullopt and
// `*error` if not. Touches nothing of the manager, which may be gone when it resumes.
asio::awaitable<std::optional<asio::ip::tcp::socket>> reach(asio::any_io_executor executor,
                                                            std::chrono::milliseconds timeout,
                                                            const wire::LinkOffer& offer,
                                                            std::string* error) {
  asio::ip::tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(
      offer.endpoint.host, std::to_string(offer.endpoint.port), net::use_nothrow);
  if (rec) {
    *error = fmt::format("cannot resolve {}: {}", offer.endpoint.host, rec.message());
    co_return std::nullopt;
  }
  // An unreachable address must not hang the shell: a watchdog closes the socket under
  // the connect. Its handler may already be queued when the connect ends: `connecting`
  // keeps it from touching the socket then.
  asio::ip::tcp::socket socket(executor);
  asio::steady_timer watchdog(executor, timeout);
  auto connecting = std::make_shared<bool>(true);
  watchdog.async_wait([&socket, connecting](std::error_code ec) {
    if (!ec && *connecting) socket.close(ec);
  });
  auto [cec, connected_to] = co_await asio::async_connect(socket, endpoints, net::use_nothrow);
  *connecting = false;
  watchdog.cancel();
  if (cec) {
    *error = fmt::format("cannot reach {} at {}:{}: {}", offer.user, offer.endpoint.host, offer.endpoint.port,
                         cec.message());
    co_return std::nullopt;
  }
  co_return std::move(socket);
}

}  // namespace

asio::awaitable<std::string> LinkManager::dial(const wire::LinkOffer& offer) {
  const std::string user = offer.user;
  const Key key{user, offer.purpose};
  if (links_.contains(key))
    co_return fmt::format("a {} link with {} is already open", wire::to_string(offer.purpose), user);
  auto alive = alive_;
  std::string error;
  auto socket = co_await reach(executor_, settings_.hello_timeout, offer, &error);
  if (!*alive) co_return std::string("shutting down");
  if (!socket) co_return error;

  auto connection = std::make_shared<net::Connection>(net::TlsStream(std::move(*socket), tls_), kLinkLimits);
  net::AsyncEvent wake(executor_);
  Dial dial{key, &wake, std::nullopt};
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
    open_link(dial.key, connection, true);
    dial.outcome = "";
  } else if (auto* refused = std::get_if<wire::LinkRefused>(&message)) {
    dial.outcome = "the other side refused the link: " + refused->reason;
  } else {
    dial.outcome = "unexpected answer to hello";
  }
  dial.wake->notify();
}

}  // namespace parley::peer
