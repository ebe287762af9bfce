// The one adapter between Parley and a TLS byte stream. Every connection (server
// sessions, the peer's registry link, direct links) goes through it, so buffering can
// be changed in one place (idle connections should hold as little memory as possible).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <chrono>
#include <string>
#include <system_error>
#include <utility>

namespace parley::net {

enum class Role { client, server };

class TlsStream {
 public:
  TlsStream(asio::ip::tcp::socket socket, asio::ssl::context& context);

  asio::any_io_executor get_executor() { return stream_.get_executor(); }
  asio::ip::tcp::socket& socket() { return stream_.next_layer(); }

  asio::awaitable<std::error_code> handshake(Role role);
  asio::awaitable<std::pair<std::error_code, std::size_t>> read_some(asio::mutable_buffer buffer);
  asio::awaitable<std::error_code> write(asio::const_buffer buffer);
  // Sends close_notify; gives the peer `bound` to answer, then closes the socket anyway.
  asio::awaitable<void> shutdown(std::chrono::milliseconds bound);
  // Closes the socket at once; pending operations complete with an error.
  void close();

  // SHA-256 fingerprint of the certificate the other side presented; empty if none.
  std::string peer_fingerprint() const;
  // "127.0.0.1:5000", or "?" once the socket is closed.
  std::string remote_address() const;

 private:
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
};

}  // namespace parley::net
