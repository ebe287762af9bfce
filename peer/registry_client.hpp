// The peer's link to the registry server: connect, TLS, pin the server's certificate,
// Hello/Welcome, then requests with ids (awaitable replies) and pushed events.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "shared/net/async.hpp"
#include "shared/net/connection.hpp"
#include "shared/wire/messages.hpp"

namespace parley::peer {

class RegistryClient {
 public:
  struct Handlers {
    std::function<void(wire::Message&&)> on_event;            // anything that is not a reply
    std::function<void(const std::string& reason)> on_close;  // the link is gone
  };

  RegistryClient(asio::any_io_executor executor, Handlers handlers);
  ~RegistryClient();

  // Connects and says hello, then keeps the link alive with heartbeats.
  // `check_fingerprint` sees the server's certificate fingerprint before anything is
  // sent and returns a non-empty reason to refuse. Returns "" on success, else why not.
  asio::awaitable<std::string> connect(const std::string& host, const std::string& port,
                                       std::function<std::string(const std::string&)> check_fingerprint);

  // Sends a request (its `request` id is assigned here) and waits for the reply;
  // nullopt when the link closed or no reply came within `timeout`.
  // Pass a named object, not a temporary: g++ 12 destroys temporaries in a co_await
  // expression twice.
  asio::awaitable<std::optional<wire::Message>> call(
      const wire::Message& request, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Sends a message that has no reply.
  void send(const wire::Message& message);
  void close(const std::string& reason);

  bool is_open() const { return connection_ && connection_->is_open(); }
  // The address the server sees us at, from our side of the socket: what direct links
  // will advertise by default.
  std::string local_address() const { return local_address_; }
  const std::string& close_reason() const { return close_reason_; }

 private:
  struct Pending {
    net::AsyncEvent* wake;
    std::optional<wire::Message> reply;
  };

  void on_frame(std::span<const std::uint8_t> payload);
  void on_closed(const std::string& reason);
  // From Welcome on (a slow password check must not look like a dead peer); ends with
  // its connection. Closes a connection on which the server stopped answering.
  asio::awaitable<void> heartbeat_loop(std::shared_ptr<net::Connection> connection);

  asio::any_io_executor executor_;
  Handlers handlers_;
  std::shared_ptr<net::Connection> connection_;
  asio::ssl::context tls_;
  std::unordered_map<std::uint32_t, Pending*> pending_;
  std::uint32_t next_request_ = 1;
  std::chrono::milliseconds heartbeat_{10000};
  std::string local_address_;
  std::string close_reason_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards callbacks after destruction
};

}  // namespace parley::peer
