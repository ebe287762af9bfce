// Links that do not go the direct way (docs/protocol.md, "Paths"): waiting for the
// other side's dial (reverse), meeting it at a relay, and answering the server's
// reachability check on our listener.
//
// A relayed link runs the ordinary link inside the relay connection: TLS to the relay
// carries the other peer's bytes, and our mutual TLS with that peer runs over it, end
// to end. The link's Connection cannot sit on a TLS stream, so it gets one end of a
// socket pair, and a pump copies between the other end and the relay connection.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/local/connect_pair.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/write.hpp>

#include "peer/links/link_manager.hpp"
#include "peer/links/link_state.hpp"
#include "shared/net/stream_io.hpp"
#include "shared/util/time.hpp"

namespace parley::peer {
namespace {

using Local = asio::local::stream_protocol::socket;
constexpr std::size_t kPumpBuffer = 16 * 1024;

// Both directions end when either does: the relay or the link went away.
void close_both(net::TlsStream& relay, Local& local) {
  std::error_code ignored;
  relay.close();
  local.close(ignored);
}

asio::awaitable<void> relay_to_local(std::shared_ptr<net::TlsStream> relay, std::shared_ptr<Local> local) {
  std::vector<std::uint8_t> buffer(kPumpBuffer);
  for (;;) {
    std::size_t n = 0;
    if (co_await net::read_some(*relay, asio::buffer(buffer), &n)) break;
    auto [ec, written] = co_await asio::async_write(*local, asio::buffer(buffer.data(), n), net::use_nothrow);
    if (ec) break;
  }
  close_both(*relay, *local);
}

asio::awaitable<void> local_to_relay(std::shared_ptr<net::TlsStream> relay, std::shared_ptr<Local> local) {
  std::vector<std::uint8_t> buffer(kPumpBuffer);
  for (;;) {
    auto [ec, n] = co_await local->async_read_some(asio::buffer(buffer), net::use_nothrow);
    if (ec) break;
    if (co_await net::write_all(*relay, asio::buffer(buffer.data(), n))) break;
  }
  close_both(*relay, *local);
}

// Hands the relay connection to two pumps; returns the socket the link runs on.
asio::ip::tcp::socket pump(asio::any_io_executor executor, std::shared_ptr<net::TlsStream> relay) {
  auto ours = std::make_shared<Local>(executor);
  Local theirs(executor);
  asio::local::connect_pair(*ours, theirs);
  asio::co_spawn(executor, relay_to_local(relay, ours), net::LogExceptions{"relay pump"});
  asio::co_spawn(executor, local_to_relay(relay, ours), net::LogExceptions{"relay pump"});
  asio::ip::tcp::socket link(executor);
  link.assign(asio::ip::tcp::v4(), theirs.release());  // a stream socket is all TLS needs
  return link;
}

}  // namespace

asio::awaitable<std::string> LinkManager::await_dial(const wire::LinkOffer& offer) {
  const Key key{offer.user, offer.purpose};
  if (!tokens_.expect(offer.token, offer.user, offer.endpoint.fingerprint, now_ms(), offer.purpose,
                      wire::LinkPath::reverse))
    co_return std::string("too many links being set up");
  auto alive = alive_;
  auto opened = link_opened_;
  const auto deadline = net::Clock::now() + settings_.hello_timeout;
  while (*alive && !links_.contains(key))
    if (!co_await opened->wait(deadline)) break;
  if (!*alive) co_return std::string("shutting down");
  if (links_.contains(key)) co_return std::string{};
  co_return fmt::format("{} is behind NAT and did not connect back in time", offer.user);
}

asio::awaitable<std::string> LinkManager::answer(const wire::LinkRequest& request) {
  if (request.path == wire::LinkPath::reverse) {
    // The requester's listener, and the certificate the server vouched for.
    wire::LinkOffer offer{0,
                          wire::Status::ok,
                          {},
                          request.from,
                          request.endpoint,
                          request.token,
                          request.purpose,
                          wire::LinkPath::reverse};
    offer.endpoint.fingerprint = request.fingerprint;
    asio::ip::tcp::socket socket(executor_);
    auto alive = alive_;
    if (auto ec = co_await net::connect_within(socket, offer.endpoint.host, offer.endpoint.port,
                                               settings_.hello_timeout))
      co_return fmt::format("cannot connect back to {} at {}:{}: {}", request.from, offer.endpoint.host,
                            offer.endpoint.port, ec.message());
    if (!*alive) co_return std::string("shutting down");
    co_return co_await dial_over(socket, offer);
  }
  if (request.path != wire::LinkPath::relay) co_return std::string{};
  std::string error;
  auto socket = co_await through_relay(request.relay, request.from, &error);
  if (!socket) co_return error;
  accept(std::move(*socket));  // the requester says hello through it, as if it had dialed us
  co_return std::string{};
}

asio::awaitable<std::optional<asio::ip::tcp::socket>> LinkManager::through_relay(
    const wire::RelayTicket& relay, const std::string& user, std::string* error) {
  auto alive = alive_;
  asio::ip::tcp::socket socket(executor_);
  if (auto ec = co_await net::connect_within(socket, relay.host, relay.port, settings_.hello_timeout)) {
    *error = fmt::format("cannot reach the relay at {}:{}: {}", relay.host, relay.port, ec.message());
    co_return std::nullopt;
  }
  auto stream = std::make_shared<net::TlsStream>(std::move(socket), tls_);
  std::string problem;
  {
    // The relay holds us until the other peer comes (seconds at most).
    net::Watchdog watchdog(*stream, 2 * settings_.hello_timeout);
    std::optional<wire::LinkMessage> answer;
    const wire::LinkMessage hello = wire::RelayHello{wire::kLinkVersion, relay.ticket};
    if (auto ec = co_await stream->handshake(net::Role::client))
      problem = fmt::format("TLS with the relay failed: {}", ec.message());
    else if (!net::fingerprints_equal(stream->peer_fingerprint(), relay.fingerprint))
      problem = "the relay's certificate is not the one the server named";
    else if (auto wec = co_await net::write_link_frame(*stream, hello))
      problem = fmt::format("the relay closed: {}", wec.message());
    else
      answer = co_await net::read_link_frame(*stream, 1024, &problem);
    auto* said = answer ? std::get_if<wire::RelayAnswer>(&*answer) : nullptr;
    if (said && !said->ok)
      problem = fmt::format("the relay refused the link with {}: {}", user, said->reason);
    if (answer && !said) problem = "the relay answered something unexpected";
    if (!answer && problem.empty()) problem = "the relay did not answer";
    if (watchdog.fired()) problem = fmt::format("{} did not come to the relay in time", user);
  }
  if (!*alive) problem = "shutting down";
  if (!problem.empty()) {
    stream->close();
    *error = problem;
    co_return std::nullopt;
  }
  co_return pump(executor_, stream);
}

void LinkManager::on_probe(const std::shared_ptr<net::Connection>& connection, const wire::LinkProbe& probe) {
  incoming_.erase(connection.get());
  if (probe_token_.empty() || probe.token != probe_token_) {
    spdlog::warn("direct links: {} sent a reachability check the server did not announce",
                 connection->remote_address());
    connection->send(wire::LinkMessage{wire::LinkRefused{"no reachability check was announced"}});
    connection->close_after_flush("unannounced reachability check");
    return;
  }
  probe_token_.clear();  // one check, one answer
  connection->send(wire::LinkMessage{wire::LinkProbe{probe.token}});
  connection->close_after_flush("reachability checked");
}

}  // namespace parley::peer
