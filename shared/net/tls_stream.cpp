#include "shared/net/tls_stream.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "shared/net/async.hpp"
#include "shared/net/tls_context.hpp"

namespace parley::net {

TlsStream::TlsStream(asio::ip::tcp::socket socket, asio::ssl::context& context)
    : stream_(std::move(socket), context) {
  std::error_code ignored;
  stream_.next_layer().set_option(asio::ip::tcp::no_delay(true), ignored);  // chat is latency-bound
}

asio::awaitable<std::error_code> TlsStream::handshake(Role role) {
  auto type = role == Role::client ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
  auto [ec] = co_await stream_.async_handshake(type, use_nothrow);
  co_return ec;
}

asio::awaitable<std::pair<std::error_code, std::size_t>> TlsStream::read_some(asio::mutable_buffer buffer) {
  auto [ec, n] = co_await stream_.async_read_some(buffer, use_nothrow);
  co_return std::pair{ec, n};
}

asio::awaitable<std::error_code> TlsStream::write(asio::const_buffer buffer) {
  auto [ec, n] = co_await asio::async_write(stream_, buffer, use_nothrow);
  co_return ec;
}

asio::awaitable<void> TlsStream::shutdown(std::chrono::milliseconds bound) {
  // async_shutdown waits for the peer's close_notify, which a dead or hostile peer never
  // sends: a timer closes the socket under it.
  asio::steady_timer timer(stream_.get_executor(), bound);
  timer.async_wait([&socket = stream_.next_layer()](std::error_code ec) {
    if (!ec) {
      std::error_code ignored;
      socket.close(ignored);
    }
  });
  co_await stream_.async_shutdown(use_nothrow);
  // Cancelling completes the wait with operation_aborted, which never touches the socket.
  timer.cancel();
  close();
}

void TlsStream::close() {
  std::error_code ignored;
  stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
}

std::string TlsStream::peer_fingerprint() const {
  auto& stream =
      const_cast<asio::ssl::stream<asio::ip::tcp::socket>&>(stream_);  // native_handle() is not const
  X509* cert = SSL_get1_peer_certificate(stream.native_handle());
  if (!cert) return {};
  std::string fp = fingerprint_of(cert);
  X509_free(cert);
  return fp;
}

std::string TlsStream::remote_address() const {
  std::error_code ec;
  auto ep = stream_.next_layer().remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace parley::net
