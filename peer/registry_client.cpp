#include "peer/registry_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>

#include "shared/net/async.hpp"
#include "shared/net/tls_context.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

constexpr std::uint32_t kWelcomeSlot = 0;  // Welcome answers Hello, which has no request id

// Everything the server sends with a request id is the reply to that request.
std::optional<std::uint32_t> reply_id(const wire::Message& message) {
  if (std::holds_alternative<wire::Welcome>(message)) return kWelcomeSlot;
  return std::visit(
      [](const auto& m) -> std::optional<std::uint32_t> {
        if constexpr (requires { m.request; })
          return m.request;
        else
          return std::nullopt;
      },
      message);
}

void set_request_id(wire::Message& message, std::uint32_t id) {
  std::visit(
      [id](auto& m) {
        if constexpr (requires { m.request; }) m.request = id;
      },
      message);
}

}  // namespace

RegistryClient::RegistryClient(asio::any_io_executor executor, Handlers handlers)
    : executor_(std::move(executor)), handlers_(std::move(handlers)), tls_(net::make_client_context()) {}

RegistryClient::~RegistryClient() {
  *alive_ = false;
  // Pending calls resume later, see alive_ is false, and touch nothing of ours.
  for (auto& [id, pending] : pending_) pending->wake->notify();
  if (connection_) connection_->close("client destroyed");
}

asio::awaitable<std::string> RegistryClient::connect(const std::string& host, const std::string& port,
                                                     std::function<std::string(const std::string&)> check) {
  asio::ip::tcp::resolver resolver(executor_);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, port, net::use_nothrow);
  if (rec) co_return fmt::format("cannot resolve {}: {}", host, rec.message());
  asio::ip::tcp::socket socket(executor_);
  auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, net::use_nothrow);
  if (cec) co_return fmt::format("cannot connect to {}:{}: {}", host, port, cec.message());
  std::error_code ignored;
  auto local = socket.local_endpoint(ignored);
  local_address_ = local.address().to_string();

  close_reason_.clear();
  // One connection at a time: an older one must not linger (its session could keep the
  // user "already logged in") nor speak for the new one.
  if (connection_) connection_->close("reconnecting");
  connection_ = std::make_shared<net::Connection>(net::TlsStream(std::move(socket), tls_),
                                                  net::ConnectionLimits{.max_frame = wire::kMaxFrame});
  std::weak_ptr<bool> alive = alive_;
  auto* self = this;
  std::weak_ptr<net::Connection> weak_connection = connection_;
  const net::Connection* current = connection_.get();
  connection_->start(net::Role::client,
                     {.on_handshake = [weak_connection, check]() -> std::string {
                        auto connection = weak_connection.lock();
                        if (!connection) return "closed";
                        return check(connection->peer_fingerprint());
                      },
                      .on_frame =
                          [alive, self, current](std::span<const std::uint8_t> payload) {
                            if (!alive.expired() && *alive.lock() && self->connection_.get() == current)
                              self->on_frame(payload);
                          },
                      .on_close =
                          [alive, self, current](const std::string& reason) {
                            if (!alive.expired() && *alive.lock() && self->connection_.get() == current)
                              self->on_closed(reason);
                          }});
  const wire::Message hello = wire::Hello{wire::kProtocolVersion, "parley-peer/0.1"};
  auto welcome = co_await call(hello, std::chrono::seconds(15));
  if (!welcome || !std::holds_alternative<wire::Welcome>(*welcome)) {
    std::string why = close_reason_.empty() ? "no answer from the server" : close_reason_;
    close(why);
    co_return why;
  }
  heartbeat_ =
      std::chrono::milliseconds(std::max<std::uint32_t>(std::get<wire::Welcome>(*welcome).heartbeat_ms, 100));
  asio::co_spawn(executor_, heartbeat_loop(connection_), net::LogExceptions{"registry heartbeat"});
  co_return std::string{};
}

asio::awaitable<void> RegistryClient::heartbeat_loop(std::shared_ptr<net::Connection> connection) {
  auto alive = alive_;
  asio::steady_timer timer(executor_);
  while (*alive && connection->is_open()) {
    timer.expires_after(heartbeat_);
    co_await timer.async_wait(net::use_nothrow);
    if (!*alive || !connection->is_open()) co_return;
    if (net::Clock::now() - connection->last_received() > 3 * heartbeat_) {
      connection->close("the server stopped answering");
      co_return;
    }
    connection->send(wire::Heartbeat{});
  }
}

asio::awaitable<std::optional<wire::Message>> RegistryClient::call(const wire::Message& original,
                                                                   std::chrono::milliseconds timeout) {
  if (!connection_ || !connection_->is_open()) co_return std::nullopt;
  wire::Message request = original;
  std::uint32_t id = std::holds_alternative<wire::Hello>(request) ? kWelcomeSlot : next_request_++;
  if (next_request_ == 0) next_request_ = 1;
  set_request_id(request, id);
  // The event lives in this frame, not in the client: it outlives a client destroyed
  // while we wait.
  net::AsyncEvent wake(executor_);
  Pending pending{&wake, std::nullopt};
  pending_[id] = &pending;
  connection_->send(request);
  auto alive = alive_;
  co_await wake.wait_for(timeout);
  if (!*alive) co_return std::nullopt;  // destroyed meanwhile
  pending_.erase(id);
  co_return std::move(pending.reply);
}

void RegistryClient::send(const wire::Message& message) {
  if (connection_) connection_->send(message);
}

void RegistryClient::close(const std::string& reason) {
  if (connection_) connection_->close(reason);
}

void RegistryClient::on_frame(std::span<const std::uint8_t> payload) {
  auto decoded = wire::decode(payload);
  if (!decoded.message) {
    spdlog::warn("registry link: {}", decoded.error);
    connection_->close("the server sent an invalid frame: " + decoded.error);
    return;
  }
  if (auto id = reply_id(*decoded.message)) {
    if (auto it = pending_.find(*id); it != pending_.end()) {
      it->second->reply = std::move(*decoded.message);
      it->second->wake->notify();
    }
    return;  // a reply nobody waits for any more (timed out)
  }
  if (std::holds_alternative<wire::Heartbeat>(*decoded.message)) return;
  if (handlers_.on_event) handlers_.on_event(std::move(*decoded.message));
}

void RegistryClient::on_closed(const std::string& reason) {
  close_reason_ = reason;
  for (auto& [id, pending] : pending_) pending->wake->notify();
  if (handlers_.on_close) handlers_.on_close(reason);
}

}  // namespace parley::peer
