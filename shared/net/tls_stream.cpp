#include "shared/net/tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <asio/ssl/error.hpp>
#include <cerrno>
#include <climits>
#include <csignal>

#include "shared/net/async.hpp"
#include "shared/net/tls_context.hpp"

namespace parley::net {

void TlsStream::SslFree::operator()(SSL* ssl) const { SSL_free(ssl); }

namespace {
// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE on a socket the other
// side has closed; the error code is all Parley needs.
void ignore_sigpipe_once() {
  static const bool done = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}
}  // namespace

TlsStream::TlsStream(asio::ip::tcp::socket socket, asio::ssl::context& context)
    : socket_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
  if (!ssl_) throw std::system_error(std::make_error_code(std::errc::not_enough_memory), "SSL_new");
  ignore_sigpipe_once();
  // Partial writes: each call sends whole records and says how much went, so a caller
  // can move the rest elsewhere while it waits (moving buffer).
  SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // chat is latency-bound
  socket_.non_blocking(true, ignored);
  // A socket BIO that does not own the descriptor: Asio closes it.
  SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle()));
}

TlsStream::TlsStream(TlsStream&& other) noexcept
    : socket_(std::move(other.socket_)), ssl_(std::move(other.ssl_)), closing_(other.closing_) {
  other.closing_ = nullptr;
}

TlsStream::~TlsStream() = default;

TlsStream::IoResult TlsStream::outcome(int ret, std::size_t bytes) {
  if (ret > 0) return {{}, bytes, std::nullopt};
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return {{}, 0, Want::read};
    case SSL_ERROR_WANT_WRITE:
      return {{}, 0, Want::write};
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      return {asio::error::eof, 0, std::nullopt};
    case SSL_ERROR_SYSCALL: {
      int err = errno;
      ERR_clear_error();
      if (err == 0) return {asio::error::eof, 0, std::nullopt};
      return {std::error_code(err, asio::error::get_system_category()), 0, std::nullopt};
    }
    default: {
      unsigned long err = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return {asio::ssl::error::stream_truncated, 0, std::nullopt};
      return {std::error_code(static_cast<int>(err), asio::error::get_ssl_category()), 0, std::nullopt};
    }
  }
}

TlsStream::IoResult TlsStream::try_read(asio::mutable_buffer buffer) {
  if (!socket_.is_open()) return {asio::error::bad_descriptor, 0, std::nullopt};
  ERR_clear_error();  // SSL_get_error reads the thread's queue: it must hold only this call's errors
  std::size_t n = 0;
  int ret = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n);
  return outcome(ret, n);
}

TlsStream::IoResult TlsStream::try_write(asio::const_buffer buffer) {
  if (!socket_.is_open()) return {asio::error::bad_descriptor, 0, std::nullopt};
  std::size_t written = 0;
  while (written < buffer.size()) {
    ERR_clear_error();
    std::size_t n = 0;
    int ret = SSL_write_ex(ssl_.get(), static_cast<const char*>(buffer.data()) + written,
                           buffer.size() - written, &n);
    IoResult r = outcome(ret, n);
    if (r.error || r.want) {
      r.bytes = written;
      return r;
    }
    written += n;
  }
  return {{}, written, std::nullopt};
}

void TlsStream::release_idle_buffers() {
  // The read that found nothing had set up a record buffer (up to 18 KiB) first; an idle
  // connection must not keep it. A no-op while any record is half read or written.
  SSL_free_buffers(ssl_.get());
}

asio::awaitable<std::error_code> TlsStream::wait(Want want) {
  if (want == Want::read) release_idle_buffers();
  auto type = want == Want::read ? asio::socket_base::wait_read : asio::socket_base::wait_write;
  auto [ec] = co_await socket_.async_wait(type, use_nothrow);
  if (!ec && !socket_.is_open()) ec = asio::error::operation_aborted;
  co_return ec;
}

asio::awaitable<std::error_code> TlsStream::handshake(Role role) {
  if (role == Role::client)
    SSL_set_connect_state(ssl_.get());
  else
    SSL_set_accept_state(ssl_.get());
  for (;;) {
    if (!socket_.is_open()) co_return asio::error::operation_aborted;
    ERR_clear_error();
    IoResult r = outcome(SSL_do_handshake(ssl_.get()), 0);
    if (!r.want) co_return r.error;
    if (auto ec = co_await wait(*r.want)) co_return ec;
  }
}

asio::awaitable<void> TlsStream::shutdown(std::chrono::milliseconds bound) {
  asio::steady_timer timer(socket_.get_executor(), bound);
  closing_ = &timer;
  // close_notify is one small record: if the socket cannot take it now, the bound
  // covers the wait.
  for (;;) {
    if (!socket_.is_open()) break;
    ERR_clear_error();
    int ret = SSL_shutdown(ssl_.get());
    if (ret >= 0 || outcome(ret, 0).want != Want::write) break;  // 0: sent, the answer is not awaited here
    if (auto ec = co_await wait(Want::write); ec || timer.expiry() <= asio::steady_timer::clock_type::now())
      break;
  }
  if (socket_.is_open()) {
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    co_await timer.async_wait(use_nothrow);  // close() cancels it once the other side is done
  }
  closing_ = nullptr;
  close();
}

void TlsStream::close() {
  if (closing_) closing_->cancel();
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

std::string TlsStream::peer_fingerprint() const {
  X509* cert = SSL_get1_peer_certificate(ssl_.get());
  if (!cert) return {};
  std::string fp = fingerprint_of(cert);
  X509_free(cert);
  return fp;
}

std::string TlsStream::remote_address() const {
  std::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace parley::net
