// The server's part in links behind NAT: the relay it runs or names, the tickets it
// signs for relayed links, and the reachability check at login.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>

#include "relay/ticket.hpp"
#include "server/reachability.hpp"
#include "server/server.hpp"
#include "server/session.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/time.hpp"

namespace parley::server {
namespace {

// A relay ticket outlives the link's setup: the relay refuses it after that.
constexpr std::int64_t kTicketLifetimeMs = 60'000;

}  // namespace

void Server::start_relay() {
  relay_secret_ = config_.relay_secret.empty() ? random_id() + random_id() : config_.relay_secret;
  if (!config_.relay_at.empty()) {
    auto colon = config_.relay_at.rfind(':');
    relay_host_ = config_.relay_at.substr(0, colon);
    relay_port_ = static_cast<std::uint16_t>(std::stoi(config_.relay_at.substr(colon + 1)));
    relay_fingerprint_ = config_.relay_fingerprint;
    return;
  }
  if (!config_.relay_port) return;
  relay::RelayConfig rc{config_.bind, *config_.relay_port, relay_secret_, config_.relay_limits,
                        config_.relay_capture};
  relay_ = std::make_unique<relay::Relay>(io_.get_executor(), identity_, rc);
  relay_port_ = relay_->start();
  relay_host_ = config_.relay_host.empty() ? config_.bind : config_.relay_host;
  relay_fingerprint_ = relay_->fingerprint();
  spdlog::info("relay listening on {}:{}", config_.bind, relay_port_);
}

// The registry picks the relay path; the tickets are signed here, one per side.
void Server::stamp_relay(Outbound& outbound) {
  if (outbound.to.size() != 1) return;
  auto stamp = [&](const std::string& token, std::uint8_t side, wire::RelayTicket& out) {
    const std::string* user = registry_.user_of(outbound.to.front());
    if (!user) return;
    relay::Ticket ticket{relay::pair_of_token(token), side, now_ms() + kTicketLifetimeMs, *user};
    out = wire::RelayTicket{relay_host_, relay_port_, relay_fingerprint_,
                            relay::sign_ticket(ticket, relay_secret_)};
  };
  if (auto* offer = std::get_if<wire::LinkOffer>(&outbound.message);
      offer && offer->path == wire::LinkPath::relay && offer->status == wire::Status::ok)
    stamp(offer->token, 0, offer->relay);
  if (auto* request = std::get_if<wire::LinkRequest>(&outbound.message);
      request && request->path == wire::LinkPath::relay)
    stamp(request->token, 1, request->relay);
}

void Server::check_reachability(SessionId session) {
  const std::string* name = registry_.user_of(session);
  const wire::LinkEndpoint* endpoint = name ? registry_.endpoint_of(*name) : nullptr;
  if (!config_.probe_reachability || !endpoint || endpoint->host.empty()) return;
  const std::string user = *name, token = random_id();
  send_to(session, wire::make_frame(wire::ReachProbe{token}));
  asio::co_spawn(io_, reachability_check(session, user, *endpoint, token),
                 net::LogExceptions{"reachability check"});
}

// Parameters by value: the coroutine outlives its caller.
asio::awaitable<void> Server::reachability_check(SessionId session, std::string user,
                                                 wire::LinkEndpoint endpoint, std::string token) {
  const asio::any_io_executor executor = io_.get_executor();
  auto outcome = co_await probe_listener(executor, probe_tls_, endpoint, token, config_.probe_timeout);
  const std::string* now = registry_.user_of(session);
  if (stopping_ || !now || *now != user) co_return;  // logged out meanwhile
  registry_.set_reachable(user, outcome.reachable);
  auto it = sessions_.find(session);
  const std::string address = fmt::format("{}:{}", endpoint.host, endpoint.port);
  spdlog::info("session {}: {} at {}: {}", session, user, address,
               outcome.reachable ? "reachable" : "not reachable: " + outcome.reason);
  wire::Reachability told{outcome.reachable, outcome.someone_else, address,
                          it == sessions_.end() ? "" : it->second->remote_address(), outcome.reason};
  send_to(session, wire::make_frame(wire::Message{std::move(told)}));
}

}  // namespace parley::server
