// Whole-buffer reads and writes on a TlsStream for code that owns a stream outright
// instead of handing it to a Connection: the relay (which copies bytes it does not
// parse), the peer's side of a relayed link, and the server's reachability probe.
// Deadlines are the caller's: a watchdog that closes the stream ends any wait here.
#pragma once

#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <system_error>

#include "shared/net/tls_stream.hpp"
#include "shared/wire/link_messages.hpp"

namespace parley::net {

// Whatever has arrived (at least one byte), waiting for it if need be.
asio::awaitable<std::error_code> read_some(TlsStream& stream, asio::mutable_buffer buffer, std::size_t* n);
asio::awaitable<std::error_code> read_exact(TlsStream& stream, asio::mutable_buffer buffer);
asio::awaitable<std::error_code> write_all(TlsStream& stream, asio::const_buffer buffer);

// One framed link-protocol message. read_link_frame reads exactly one frame and no byte
// more, so what follows it (a relayed stream) stays in the stream for its next reader.
asio::awaitable<std::error_code> write_link_frame(TlsStream& stream, const wire::LinkMessage& message);
asio::awaitable<std::optional<wire::LinkMessage>> read_link_frame(TlsStream& stream, std::size_t max_payload,
                                                                  std::string* error);

// Closes `stream` when `timeout` passes, unless disarmed first: bounds a whole exchange
// (connect, handshake, a frame or two) with one timer.
class Watchdog {
 public:
  Watchdog(TlsStream& stream, std::chrono::milliseconds timeout);
  ~Watchdog() { disarm(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  void disarm();
  bool fired() const { return *fired_; }

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> armed_ = std::make_shared<bool>(true);
  std::shared_ptr<bool> fired_ = std::make_shared<bool>(false);
};

}  // namespace parley::net

namespace parley::net {

// A TCP connection to host:port within `timeout` (resolving included); the error if not.
asio::awaitable<std::error_code> connect_within(asio::ip::tcp::socket& socket, const std::string& host,
                                                std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace parley::net
