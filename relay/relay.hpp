// The relay: pairs two peers that cannot reach each other and copies bytes between them
// without understanding them (docs/protocol.md, "Relayed links"). Each peer connects
// over TLS to the relay, presents a ticket the registry signed, and once its partner
// has come, the connection carries the partner's bytes. The peers run their own mutual
// TLS inside, end to end: the relay sees only ciphertext.
//
// Bounded (relay/limits.hpp): links and waiting halves, per user and in all; bandwidth
// per link and in all; an idle timeout; halves whose partner does not come are dropped.
// Every refusal is logged and told to the peer. Runs on one event loop, in parley-relay
// or inside parley-server.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "relay/limits.hpp"
#include "relay/pairing.hpp"
#include "relay/token_bucket.hpp"
#include "shared/net/tls_context.hpp"

namespace parley::relay {

struct RelayConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  std::string secret;      // shared with the registry that signs the tickets
  Limits limits;
  // Tests only: every relayed byte is appended here, to show it is all ciphertext.
  std::filesystem::path capture;
};

class Relay {
 public:
  Relay(asio::any_io_executor executor, const net::Identity& identity, RelayConfig config);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Binds and starts accepting; returns the bound port. Throws std::system_error.
  std::uint16_t start();
  void stop();

  const std::string& fingerprint() const { return fingerprint_; }
  std::size_t links() const { return pairing_.links(); }
  std::uint64_t bytes_relayed() const { return bytes_; }

 private:
  struct Half;
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> sweep_loop();
  asio::awaitable<void> serve(std::shared_ptr<Half> half);
  asio::awaitable<std::optional<Ticket>> read_ticket(Half& half);
  asio::awaitable<bool> wait_for_partner(const std::shared_ptr<Half>& half);
  asio::awaitable<bool> pair_with(const std::shared_ptr<Half>& half, Pairing::HalfId partner_id);
  asio::awaitable<void> copy(const std::shared_ptr<Half>& from, const std::shared_ptr<Half>& to);
  asio::awaitable<void> throttle(Half& from, std::size_t bytes);
  asio::awaitable<void> refuse(Half& half, const std::string& reason);
  void release(Half& half);

  asio::any_io_executor executor_;
  asio::ssl::context tls_;
  std::string fingerprint_;
  RelayConfig config_;
  Pairing pairing_;
  TokenBucket total_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  std::map<Pairing::HalfId, std::shared_ptr<Half>> halves_;
  Pairing::HalfId next_id_ = 1;
  std::uint64_t bytes_ = 0;
  std::ofstream capture_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_ = false;
};

}  // namespace parley::relay
