// A bare TLS client that speaks bytes, not Parley: for sending garbage, oversized
// frames and wrong versions, or for logging in and then never reading.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <optional>
#include <vector>

#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"

namespace parley::test {

class RawTlsClient {
 public:
  explicit RawTlsClient(std::uint16_t port);
  bool handshake();
  void write(const std::vector<std::uint8_t>& bytes);
  void write(const wire::Message& message) { write(wire::encode_frame(message)); }
  // The next whole message, or nullopt on timeout or close.
  std::optional<wire::Message> read(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until the server closes the connection; false on timeout.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Makes the kernel receive buffer small, so a client that stops reading is noticed sooner.
  void shrink_receive_buffer();

 private:
  bool fill(std::chrono::milliseconds timeout);

  asio::io_context io_;
  asio::ssl::context tls_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  std::uint16_t port_;
  std::vector<std::uint8_t> buffer_;
  bool eof_ = false;
};

}  // namespace parley::test
