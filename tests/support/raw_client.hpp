// A bare TLS client that speaks bytes, not Parley: for sending garbage, oversized
// frames and wrong versions, or for logging in and then never reading.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "shared/net/tls_context.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"

namespace parley::test {

class RawTlsClient {
 public:
  // With an identity it presents that certificate (as a peer dialing a direct link).
  explicit RawTlsClient(std::uint16_t port, const net::Identity* identity = nullptr);
  bool handshake();
  void write(const std::vector<std::uint8_t>& bytes);
  void write(const wire::Message& message) { write(wire::encode_frame(message)); }
  void write(const wire::LinkMessage& message) { write(wire::encode_frame(message)); }
  // The next whole message, or nullopt on timeout or close.
  std::optional<wire::Message> read(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::optional<wire::LinkMessage> read_link(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The next frame's payload, undecoded.
  std::optional<std::vector<std::uint8_t>> read_payload(std::chrono::milliseconds timeout);
  // Reads until the server closes the connection; false on timeout.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Makes the kernel receive buffer small, so a client that stops reading is noticed sooner.
  void shrink_receive_buffer();
  // Connects from this loopback address (127.0.0.2, ...): another address to the server.
  void bind_source(const std::string& address);
  // Hello (the first time), then Login; the LoginResult (nullopt on timeout or close).
  std::optional<wire::LoginResult> log_in(const std::string& user, const std::string& password,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                          bool sign_up = false);

 private:
  bool fill(std::chrono::milliseconds timeout);

  asio::io_context io_;
  asio::ssl::context tls_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  std::uint16_t port_;
  std::vector<std::uint8_t> buffer_;
  bool eof_ = false;
  bool said_hello_ = false;
};

}  // namespace parley::test
