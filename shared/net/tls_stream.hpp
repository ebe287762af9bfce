// The one adapter between Parley and a TLS byte stream. Every connection (server
// sessions, the peer's registry link, direct links) goes through it.
//
// OpenSSL works straight on the non-blocking socket and Asio only reports readiness,
// instead of asio::ssl::stream's engine: that engine keeps two 17 KiB buffers per stream
// for its whole life plus a 2 x 17 KiB BIO pair, and copies every byte through them.
// Here an idle connection holds only the SSL object; OpenSSL's record buffers exist
// while a record is in flight (SSL_MODE_RELEASE_BUFFERS), and reads go from the socket
// to the caller's buffer with no copy in between.
//
// Operations come in two forms: try_read/try_write never wait (they say what they
// would wait for), and wait/async_wait wait for that. The try_ forms let a caller read
// into a buffer shared by every connection on its thread, since nothing is written into
// it across a suspension. One reader and one writer may be active at once, on one thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

typedef struct ssl_st SSL;

namespace parley::net {

enum class Role { client, server };

// TLS's largest record (plaintext bytes): what one SSL_write can put in one record.
inline constexpr std::size_t kMaxTlsRecord = 16 * 1024;

class TlsStream {
 public:
  // What an operation that cannot go on needs from the socket before it is retried.
  enum class Want { read, write };
  struct IoResult {
    std::error_code error;
    std::size_t bytes = 0;
    std::optional<Want> want;  // set when it would block (then error is empty)
  };

  TlsStream(asio::ip::tcp::socket socket, asio::ssl::context& context);
  TlsStream(TlsStream&& other) noexcept;
  TlsStream& operator=(TlsStream&&) = delete;
  ~TlsStream();

  asio::any_io_executor get_executor() { return socket_.get_executor(); }
  asio::ip::tcp::socket& socket() { return socket_; }

  asio::awaitable<std::error_code> handshake(Role role);

  // Reads what has arrived, up to one TLS record; never waits.
  IoResult try_read(asio::mutable_buffer buffer);
  // Writes as much of `buffer` as the socket takes now; never waits. After a result
  // with `want`, the next try_write must start with the bytes not yet written (they may
  // live elsewhere by then, e.g. copied out of a shared buffer).
  IoResult try_write(asio::const_buffer buffer);
  // Waits until the socket is ready for what a try_ operation wanted.
  asio::awaitable<std::error_code> wait(Want want);
  // The same with a completion handler, void(std::error_code): a connection that waits
  // this way between reads keeps no coroutine frames while idle.
  template <class Handler>
  void async_wait(Want want, Handler&& handler) {
    if (want == Want::read) release_idle_buffers();
    socket_.async_wait(want == Want::read ? asio::socket_base::wait_read : asio::socket_base::wait_write,
                       std::forward<Handler>(handler));
  }

  // Sends close_notify and ends our direction, then gives the other side `bound` to close
  // its end (seen by the reader, which calls close()) so that nothing we sent is lost to
  // a reset; closes the socket anyway when the bound passes.
  asio::awaitable<void> shutdown(std::chrono::milliseconds bound);
  // Closes the socket at once; pending waits complete with an error. The SSL object is
  // never used again: the descriptor number may already belong to another socket.
  void close();

  // SHA-256 fingerprint of the certificate the other side presented; empty if none.
  std::string peer_fingerprint() const;
  // "127.0.0.1:5000", or "?" once the socket is closed.
  std::string remote_address() const;

 private:
  struct SslFree {
    void operator()(SSL* ssl) const;
  };
  IoResult outcome(int ret, std::size_t bytes);
  void release_idle_buffers();

  asio::ip::tcp::socket socket_;
  std::unique_ptr<SSL, SslFree> ssl_;
  asio::steady_timer* closing_ = nullptr;  // the shutdown's bound, cut short by close()
};

}  // namespace parley::net
