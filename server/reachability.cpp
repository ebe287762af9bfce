#include "server/reachability.hpp"

#include <fmt/format.h>

#include "shared/net/stream_io.hpp"
#include "shared/net/tls_context.hpp"
#include "shared/wire/limits.hpp"

namespace parley::server {

asio::awaitable<ProbeOutcome> probe_listener(const asio::any_io_executor& executor, asio::ssl::context& tls,
                                             const wire::LinkEndpoint& endpoint, const std::string& token,
                                             std::chrono::milliseconds timeout) {
  ProbeOutcome out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::ip::tcp::socket socket(executor);
  if (auto ec = co_await net::connect_within(socket, endpoint.host, endpoint.port, timeout)) {
    out.reason = fmt::format("cannot connect: {}", ec.message());
    co_return out;
  }
  net::TlsStream stream(std::move(socket), tls);
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  net::Watchdog watchdog(stream, std::max(left, std::chrono::milliseconds(100)));
  if (auto ec = co_await stream.handshake(net::Role::client)) {
    out.someone_else = !watchdog.fired();
    out.reason =
        watchdog.fired() ? "no TLS answer in time" : fmt::format("not a Parley listener: {}", ec.message());
    co_return out;
  }
  if (!net::fingerprints_equal(stream.peer_fingerprint(), endpoint.fingerprint)) {
    out.someone_else = true;
    out.reason = "another peer's listener answered there, not yours";
    co_return out;
  }
  std::string error;
  std::optional<wire::LinkMessage> answer;
  const wire::LinkMessage probe = wire::LinkProbe{token};
  if (auto ec = co_await net::write_link_frame(stream, probe))
    error = ec.message();
  else
    answer = co_await net::read_link_frame(stream, 1024, &error);
  watchdog.disarm();
  auto* echo = answer ? std::get_if<wire::LinkProbe>(&*answer) : nullptr;
  if (echo && echo->token == token) {
    out.reachable = true;
  } else if (auto* refused = answer ? std::get_if<wire::LinkRefused>(&*answer) : nullptr) {
    out.someone_else = true;
    out.reason = "the listener refused the check: " + refused->reason;
  } else {
    out.reason = error.empty() ? "unexpected answer to the check" : "no answer to the check: " + error;
  }
  stream.close();
  co_return out;
}

}  // namespace parley::server
