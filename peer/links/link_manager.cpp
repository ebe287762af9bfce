#include "peer/links/link_manager.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>

#include "peer/links/link_state.hpp"
#include "shared/net/async.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/codec.hpp"

namespace parley::peer {

LinkManager::LinkManager(asio::any_io_executor executor, const net::Identity& identity, Events events)
    : LinkManager(std::move(executor), identity, std::move(events), Settings{}) {}

LinkManager::LinkManager(asio::any_io_executor executor, const net::Identity& identity, Events events,
                         Settings settings)
    : executor_(executor),
      tls_(net::make_link_context(identity)),
      fingerprint_(identity.fingerprint),
      events_(std::move(events)),
      settings_(settings),
      acceptor_(executor),
      sweep_timer_(executor),
      tokens_(settings.token_lifetime_ms),
      connection_closed_(std::make_shared<net::AsyncEvent>(executor)),
      link_opened_(std::make_shared<net::AsyncEvent>(executor)) {
  asio::co_spawn(executor_, sweep_loop(), net::LogExceptions{"link sweep"});
}

LinkManager::~LinkManager() {
  *alive_ = false;
  stopped_ = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  sweep_timer_.cancel();
  for (auto& [key, link] : links_) link->connection->abandon();
  for (auto& [raw, connection] : incoming_) connection->abandon();
  connection_closed_->notify();  // a close_all still waiting must look again, not at us
}

std::uint16_t LinkManager::listen(const std::string& address, std::uint16_t port) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  asio::co_spawn(executor_, accept_loop(), net::LogExceptions{"link listener"});
  return acceptor_.local_endpoint().port();
}

std::vector<std::string> LinkManager::users(Purpose purpose) const {
  std::vector<std::string> out;
  for (const auto& [key, link] : links_)
    if (key.second == purpose) out.push_back(key.first);
  return out;  // sorted: the map is
}

std::string LinkManager::peer_fingerprint(const std::string& user) const {
  // Both links with a user present the same identity certificate.
  for (auto purpose : {Purpose::chat, Purpose::transfer})
    if (auto it = links_.find({user, purpose}); it != links_.end())
      return it->second->connection->peer_fingerprint();
  return {};
}

std::vector<LinkManager::Key> LinkManager::keys() const {
  std::vector<Key> out;
  for (const auto& [key, link] : links_) out.push_back(key);
  return out;
}

bool LinkManager::expect(const wire::LinkRequest& request) {
  return tokens_.expect(request.token, request.from, request.fingerprint, now_ms(), request.purpose,
                        request.path);
}

wire::LinkPath LinkManager::path(const std::string& user, Purpose purpose) const {
  auto it = links_.find({user, purpose});
  return it == links_.end() ? wire::LinkPath::direct : it->second->path;
}

// Starts `connection`, routing its frames and its end through this manager, guarded so
// that nothing runs after the manager is gone (coroutines may still hold alive_, so its
// value is what counts). `on_handshake` may refuse the other side.
void LinkManager::adopt(const std::shared_ptr<net::Connection>& connection, net::Role role,
                        std::function<std::string()> on_handshake) {
  std::weak_ptr<bool> alive = alive_;
  std::weak_ptr<net::Connection> weak = connection;
  const auto usable = [alive, weak]() -> std::shared_ptr<net::Connection> {
    auto manager = alive.lock();
    return manager && *manager ? weak.lock() : nullptr;
  };
  net::Connection::Handlers handlers;
  handlers.on_handshake = std::move(on_handshake);
  handlers.on_frame = [this, usable](std::span<const std::uint8_t> payload) {
    if (auto c = usable()) on_frame(c, payload);
  };
  handlers.on_close = [this, usable](const std::string& reason) {
    if (auto c = usable()) on_connection_closed(c, reason);
  };
  connection->start(role, std::move(handlers));
}

asio::awaitable<void> LinkManager::accept_loop() {
  auto alive = alive_;
  while (*alive && !stopped_) {
    auto [ec, socket] = co_await acceptor_.async_accept(net::use_nothrow);
    if (!*alive || stopped_) co_return;
    if (ec) {
      spdlog::warn("direct links: accept failed: {}", ec.message());
      asio::steady_timer pause(executor_, std::chrono::milliseconds(100));
      co_await pause.async_wait(net::use_nothrow);
      continue;
    }
    accept(std::move(socket));
  }
}

// A connection to our listener, or a relayed one where we are the listener's side.
void LinkManager::accept(asio::ip::tcp::socket socket) {
  auto connection = std::make_shared<net::Connection>(net::TlsStream(std::move(socket), tls_), kLinkLimits);
  incoming_.emplace(connection.get(), connection);
  adopt(connection, net::Role::server, nullptr);  // the dialer's certificate is checked with its token
}

LinkManager::Link* LinkManager::transfer_link(const net::Connection* connection) {
  auto key = key_of_.find(connection);
  if (key == key_of_.end() || key->second.second != Purpose::transfer) return nullptr;
  auto link = links_.find(key->second);
  return link != links_.end() && link->second->connection.get() == connection ? link->second.get() : nullptr;
}

void LinkManager::on_frame(const std::shared_ptr<net::Connection>& connection,
                           std::span<const std::uint8_t> payload) {
  if (events_.on_piece && wire::is_piece(payload)) {
    if (Link* link = transfer_link(connection.get())) {
      auto piece = wire::decode_piece(payload);
      if (!piece.message) {
        spdlog::warn("direct link from {}: {}", connection->remote_address(), piece.error);
        connection->close("protocol error: " + piece.error);
        return;
      }
      link->last_piece = net::Clock::now();
      events_.on_piece(link->user, *piece.message);
      return;
    }
  }
  auto decoded = wire::decode_link(payload);
  if (!decoded.message) {
    spdlog::warn("direct link from {}: {}", connection->remote_address(), decoded.error);
    connection->close("protocol error: " + decoded.error);
    return;
  }
  if (auto it = key_of_.find(connection.get()); it != key_of_.end()) {
    // Only the current connection of a link speaks for it.
    if (auto link = links_.find(it->second); link != links_.end() && link->second->connection == connection)
      on_link_message(*link->second, std::move(*decoded.message));
    return;
  }
  if (incoming_.contains(connection.get())) {
    if (auto* probe = std::get_if<wire::LinkProbe>(&*decoded.message)) return on_probe(connection, *probe);
    auto* hello = std::get_if<wire::LinkHello>(&*decoded.message);
    if (!hello) {
      connection->close("expected LinkHello");
      return;
    }
    on_hello(connection, *hello);
    return;
  }
  on_dial_answer(connection, *decoded.message);
}

void LinkManager::on_hello(const std::shared_ptr<net::Connection>& connection, const wire::LinkHello& hello) {
  incoming_.erase(connection.get());
  // Redeemed whatever else is wrong: a token is good for one attempt.
  wire::LinkPath path = wire::LinkPath::direct;
  std::string refusal =
      tokens_.redeem(hello.token, hello.user, connection->peer_fingerprint(), now_ms(), hello.purpose, &path);
  if (refusal.empty() && hello.version != wire::kLinkVersion)
    refusal = fmt::format("direct-link version {} is not supported (this peer speaks {})", hello.version,
                          wire::kLinkVersion);
  if (!refusal.empty()) {
    spdlog::warn("direct links: refused {} claiming to be '{}': {}", connection->remote_address(), hello.user,
                 refusal);
    connection->send(wire::LinkMessage{wire::LinkRefused{refusal}});
    connection->close_after_flush("refused: " + refusal);
    return;
  }
  // A link with this user may exist already (they restarted, or both sides dialed at
  // once): open_link keeps one, the same one on both sides.
  connection->send(wire::LinkMessage{wire::LinkWelcome{user_}});
  open_link({hello.user, hello.purpose}, connection, false, path);
}

void LinkManager::open_link(const Key& key, const std::shared_ptr<net::Connection>& connection,
                            bool dialed_by_me, wire::LinkPath path) {
  const std::string& user = key.first;
  link_opened_->notify();
  if (auto existing = links_.find(key); existing != links_.end()) {
    replace_link(*existing->second, connection, dialed_by_me, path);
    return;
  }
  auto link = std::make_shared<Link>();
  link->dialed_by_me = dialed_by_me;
  link->path = path;
  link->user = user;
  link->purpose = key.second;
  link->connection = connection;
  links_[key] = link;
  key_of_[connection.get()] = key;
  spdlog::info("{} link with {} open ({}, {})", wire::to_string(key.second), user, wire::to_string(path),
               connection->remote_address());
  if (events_.on_open) events_.on_open(user, key.second, dialed_by_me);
}

void LinkManager::replace_link(Link& existing, const std::shared_ptr<net::Connection>& connection,
                               bool dialed_by_me, wire::LinkPath path) {
  // Both sides dialed at once, or the other side restarted. Both sides must keep the
  // same connection: the one dialed by the smaller name wins a simultaneous dial.
  const std::string user = existing.user;  // a copy: on_closed below may drop the link
  const std::string& smaller = std::min(user_, user);
  bool new_wins = dialed_by_me != existing.dialed_by_me ? (dialed_by_me ? user_ : user) == smaller : true;
  if (!new_wins) {
    connection->close("duplicate link");
    return;
  }
  auto old = existing.connection;
  key_of_.erase(old.get());
  old->close("replaced by a newer link");
  existing.connection = connection;
  existing.dialed_by_me = dialed_by_me;
  existing.path = path;
  key_of_[connection.get()] = {user, existing.purpose};
  spdlog::info("{} link with {} replaced ({})", wire::to_string(existing.purpose), user,
               connection->remote_address());
  // Piece requests and answers in flight on the old connection are gone: downloads
  // must learn it as if the link had closed (the new one is already in place).
  if (existing.purpose == Purpose::transfer && events_.on_closed)
    events_.on_closed(user, existing.purpose, "replaced by a newer connection");
}

void LinkManager::drop_link(const Key& key, const std::string& reason) {
  auto it = links_.find(key);
  if (it == links_.end()) return;
  auto link = it->second;
  links_.erase(it);
  key_of_.erase(link->connection.get());
  for (auto& [id, waiter] : link->waiting) waiter->wake->notify();
  spdlog::info("{} link with {} closed: {}", wire::to_string(key.second), key.first, reason);
  if (events_.on_closed) events_.on_closed(key.first, key.second, reason);
}

void LinkManager::on_connection_closed(const std::shared_ptr<net::Connection>& connection,
                                       const std::string& reason) {
  incoming_.erase(connection.get());
  if (auto it = dialing_.find(connection.get()); it != dialing_.end()) {
    it->second->outcome = "connection failed: " + reason;
    it->second->wake->notify();
    dialing_.erase(it);
  }
  if (auto it = key_of_.find(connection.get()); it != key_of_.end()) {
    Key key = it->second;
    key_of_.erase(it);
    if (auto link = links_.find(key); link != links_.end() && link->second->connection == connection)
      drop_link(key, "connection lost: " + reason);
  }
  connection_closed_->notify();
}

}  // namespace parley::peer
