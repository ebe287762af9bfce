#include "peer/links/link_manager.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>

#include "shared/net/async.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

// Direct links carry chunk pieces: room for one piece per frame, and for the pieces a
// downloader may have asked for (kMaxPiecesInFlight) while it reads slowly.
const net::ConnectionLimits kLinkLimits{
    .max_frame = wire::kMaxLinkFrame, .max_outbox_bytes = 2 * wire::kMaxPiecesInFlight * wire::kMaxLinkFrame};

bool is_piece_message(const wire::LinkMessage& m) {
  return std::holds_alternative<wire::PieceRequest>(m) || std::holds_alternative<wire::PieceData>(m) ||
         std::holds_alternative<wire::PieceRefused>(m);
}

}  // namespace

struct LinkManager::Link {
  std::string user;
  Purpose purpose = Purpose::chat;
  std::shared_ptr<net::Connection> connection;
  bool dialed_by_me = false;
  net::Clock::time_point last_sent = net::Clock::now();
  net::Clock::time_point last_piece = net::Clock::now();  // transfer links: last piece either way
  // Private messages waiting for their acknowledgement: msg_id -> the waiter's flag and timer.
  struct Waiter {
    asio::steady_timer* wake;
    bool acknowledged = false;
  };
  std::unordered_map<std::string, Waiter*> waiting;
};

struct LinkManager::Dial {
  Key key;  // the user as the server named them, whatever the listener says
  asio::steady_timer* wake;
  std::optional<std::string> outcome;  // "" when the link opened
};

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
      tokens_(settings.token_lifetime_ms) {
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

std::vector<LinkManager::Key> LinkManager::keys() const {
  std::vector<Key> out;
  for (const auto& [key, link] : links_) out.push_back(key);
  return out;
}

bool LinkManager::expect(const wire::LinkRequest& request) {
  return tokens_.expect(request.token, request.from, request.fingerprint, now_ms(), request.purpose);
}

// Starts `connection`, routing its frames and its end through this manager, guarded so
// that nothing runs after the manager is gone. `on_handshake` may refuse the other side.
void LinkManager::adopt(const std::shared_ptr<net::Connection>& connection, net::Role role,
                        std::function<std::string()> on_handshake) {
  std::weak_ptr<bool> alive = alive_;
  std::weak_ptr<net::Connection> weak = connection;
  net::Connection::Handlers handlers;
  handlers.on_handshake = std::move(on_handshake);
  handlers.on_frame = [this, alive, weak](std::span<const std::uint8_t> payload) {
    auto c = weak.lock();
    if (c && !alive.expired()) on_frame(c, payload);
  };
  handlers.on_close = [this, alive, weak](const std::string& reason) {
    auto c = weak.lock();
    if (c && !alive.expired()) on_connection_closed(c, reason);
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
    auto connection = std::make_shared<net::Connection>(net::TlsStream(std::move(socket), tls_), kLinkLimits);
    incoming_.emplace(connection.get(), connection);
    adopt(connection, net::Role::server, nullptr);  // the dialer's certificate is checked with its token
  }
}

asio::awaitable<std::string> LinkManager::dial(const wire::LinkOffer& offer) {
  const std::string user = offer.user;
  const Key key{user, offer.purpose};
  if (links_.contains(key))
    co_return fmt::format("a {} link with {} is already open", wire::to_string(offer.purpose), user);
  asio::ip::tcp::resolver resolver(executor_);
  auto [rec, endpoints] = co_await resolver.async_resolve(
      offer.endpoint.host, std::to_string(offer.endpoint.port), net::use_nothrow);
  if (rec) co_return fmt::format("cannot resolve {}: {}", offer.endpoint.host, rec.message());

  // An unreachable address must not hang the shell: a watchdog closes the socket under
  // the connect (its handler touches nothing once cancelled).
  asio::ip::tcp::socket socket(executor_);
  asio::steady_timer watchdog(executor_, settings_.hello_timeout);
  watchdog.async_wait([&socket](std::error_code ec) {
    if (!ec) socket.close(ec);
  });
  auto [cec, connected_to] = co_await asio::async_connect(socket, endpoints, net::use_nothrow);
  watchdog.cancel();
  if (cec)
    co_return fmt::format("cannot reach {} at {}:{}: {}", user, offer.endpoint.host, offer.endpoint.port,
                          cec.message());

  auto connection = std::make_shared<net::Connection>(net::TlsStream(std::move(socket), tls_), kLinkLimits);
  asio::steady_timer wake(executor_, settings_.hello_timeout);
  Dial dial{key, &wake, std::nullopt};
  dialing_[connection.get()] = &dial;
  // Pin before anything is sent: a listener with another certificate is not `user`.
  std::weak_ptr<net::Connection> weak = connection;
  adopt(connection, net::Role::client, [weak, expected = offer.endpoint.fingerprint, user]() -> std::string {
    auto c = weak.lock();
    if (!c) return "closed";
    if (net::fingerprints_equal(c->peer_fingerprint(), expected)) return {};
    return fmt::format("the certificate of {}'s listener is not the one the server vouched for", user);
  });
  connection->send(wire::LinkMessage{wire::LinkHello{wire::kLinkVersion, user_, offer.token, offer.purpose}});

  while (!dial.outcome) {
    auto [ec] = co_await wake.async_wait(net::use_nothrow);
    if (!ec) break;  // deadline
  }
  dialing_.erase(connection.get());
  // Both sides dialed at once and the other connection was kept: the link the user
  // asked for exists all the same.
  if ((!dial.outcome || !dial.outcome->empty()) && links_.contains(key)) {
    connection->close("duplicate link");
    co_return std::string{};
  }
  if (!dial.outcome) {
    connection->close("no answer to hello");
    co_return fmt::format("{} did not answer the direct link", user);
  }
  if (!dial.outcome->empty()) connection->close(*dial.outcome);
  co_return *dial.outcome;
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
    auto* hello = std::get_if<wire::LinkHello>(&*decoded.message);
    if (!hello) {
      connection->close("expected LinkHello");
      return;
    }
    on_hello(connection, *hello);
    return;
  }
  if (auto it = dialing_.find(connection.get()); it != dialing_.end()) {
    Dial& dial = *it->second;
    if (std::holds_alternative<wire::LinkWelcome>(*decoded.message)) {
      dialing_.erase(it);
      open_link(dial.key, connection, true);
      dial.outcome = "";
    } else if (auto* refused = std::get_if<wire::LinkRefused>(&*decoded.message)) {
      dial.outcome = "the other side refused the link: " + refused->reason;
    } else {
      dial.outcome = "unexpected answer to hello";
    }
    dial.wake->cancel_one();
  }
}

void LinkManager::on_hello(const std::shared_ptr<net::Connection>& connection, const wire::LinkHello& hello) {
  incoming_.erase(connection.get());
  // Redeemed whatever else is wrong: a token is good for one attempt.
  std::string refusal =
      tokens_.redeem(hello.token, hello.user, connection->peer_fingerprint(), now_ms(), hello.purpose);
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
  open_link({hello.user, hello.purpose}, connection, false);
}

void LinkManager::open_link(const Key& key, const std::shared_ptr<net::Connection>& connection,
                            bool dialed_by_me) {
  const std::string& user = key.first;
  if (auto existing = links_.find(key); existing != links_.end()) {
    // Both sides dialed at once, or the other side restarted. Both sides must keep the
    // same connection: the one dialed by the smaller name wins a simultaneous dial.
    bool existing_dialed_by_me = existing->second->dialed_by_me;
    const std::string& smaller = std::min(user_, user);
    bool new_wins = dialed_by_me != existing_dialed_by_me ? (dialed_by_me ? user_ : user) == smaller : true;
    if (!new_wins) {
      connection->close("duplicate link");
      return;
    }
    auto old = existing->second->connection;
    key_of_.erase(old.get());
    old->close("replaced by a newer link");
    existing->second->connection = connection;
    existing->second->dialed_by_me = dialed_by_me;
    key_of_[connection.get()] = key;
    spdlog::info("{} link with {} replaced ({})", wire::to_string(key.second), user,
                 connection->remote_address());
    // Piece requests and answers in flight on the old connection are gone: downloads
    // must learn it as if the link had closed (the new one is already in place).
    if (key.second == Purpose::transfer && events_.on_closed)
      events_.on_closed(user, key.second, "replaced by a newer connection");
    return;
  }
  auto link = std::make_shared<Link>();
  link->dialed_by_me = dialed_by_me;
  link->user = user;
  link->purpose = key.second;
  link->connection = connection;
  links_[key] = link;
  key_of_[connection.get()] = key;
  spdlog::info("{} link with {} open ({})", wire::to_string(key.second), user, connection->remote_address());
  if (events_.on_open) events_.on_open(user, key.second, dialed_by_me);
}

void LinkManager::on_link_message(Link& link, wire::LinkMessage&& message) {
  if (link.purpose == Purpose::transfer && is_piece_message(message)) {
    link.last_piece = net::Clock::now();
    if (events_.on_transfer) events_.on_transfer(link.user, std::move(message));
    return;
  }
  const Key key{link.user, link.purpose};
  // Drops the link: `link` must not be touched afterwards.
  auto fail = [this, &key, connection = link.connection](const std::string& why) {
    drop_link(key, "protocol error: " + why);
    connection->close(why);
  };
  std::visit(Overloaded{
                 [&](wire::PrivateText& m) {
                   if (link.purpose != Purpose::chat) return fail("private text on a transfer link");
                   if (events_.on_private) events_.on_private(link.user, m);
                   send(link, wire::PrivateAck{m.msg_id});
                 },
                 [&](wire::PrivateAck& m) {
                   if (auto it = link.waiting.find(m.msg_id); it != link.waiting.end()) {
                     it->second->acknowledged = true;
                     it->second->wake->cancel_one();
                   }
                 },
                 [&](wire::LinkBye& m) {
                   auto connection = link.connection;
                   drop_link(key, m.reason.empty() ? fmt::format("closed by {}", key.first) : m.reason);
                   connection->close("goodbye received");
                 },
                 [&](wire::LinkHeartbeat&) {},
                 [&](auto&) { fail(fmt::format("unexpected {}", wire::type_name(message))); },
             },
             message);
}

void LinkManager::send(Link& link, const wire::LinkMessage& message) {
  link.last_sent = net::Clock::now();
  link.connection->send(message);
}

bool LinkManager::send_transfer(const std::string& user, const wire::LinkMessage& message) {
  return send_transfer(user, wire::make_frame(message));
}

bool LinkManager::send_transfer(const std::string& user, wire::SharedFrame frame) {
  auto it = links_.find({user, Purpose::transfer});
  if (it == links_.end()) return false;
  Link& link = *it->second;
  link.last_sent = link.last_piece = net::Clock::now();
  link.connection->send(std::move(frame));
  return true;
}

void LinkManager::drop_link(const Key& key, const std::string& reason) {
  auto it = links_.find(key);
  if (it == links_.end()) return;
  auto link = it->second;
  links_.erase(it);
  key_of_.erase(link->connection.get());
  for (auto& [id, waiter] : link->waiting) waiter->wake->cancel_one();
  spdlog::info("{} link with {} closed: {}", wire::to_string(key.second), key.first, reason);
  if (events_.on_closed) events_.on_closed(key.first, key.second, reason);
}

void LinkManager::on_connection_closed(const std::shared_ptr<net::Connection>& connection,
                                       const std::string& reason) {
  incoming_.erase(connection.get());
  if (auto it = dialing_.find(connection.get()); it != dialing_.end()) {
    it->second->outcome = "connection failed: " + reason;
    it->second->wake->cancel_one();
    dialing_.erase(it);
  }
  if (auto it = key_of_.find(connection.get()); it != key_of_.end()) {
    Key key = it->second;
    key_of_.erase(it);
    if (auto link = links_.find(key); link != links_.end() && link->second->connection == connection)
      drop_link(key, "connection lost: " + reason);
  }
}

void LinkManager::close(const std::string& user, const std::string& reason_for_them,
                        const std::string& reason_for_us, Purpose purpose) {
  const Key key{user, purpose};
  auto it = links_.find(key);
  if (it == links_.end()) return;
  auto connection = it->second->connection;
  send(*it->second, wire::LinkBye{reason_for_them});
  drop_link(key, reason_for_us);
  connection->close_after_flush("closed: " + reason_for_us);
}

void LinkManager::close_user(const std::string& user, const std::string& reason_for_them,
                             const std::string& reason_for_us) {
  close(user, reason_for_them, reason_for_us, Purpose::chat);
  close(user, reason_for_them, reason_for_us, Purpose::transfer);
}

asio::awaitable<void> LinkManager::close_all(const std::string& reason_for_them,
                                             const std::string& reason_for_us) {
  std::vector<std::shared_ptr<net::Connection>> closing;
  for (const auto& key : keys()) {
    closing.push_back(links_[key]->connection);
    close(key.first, reason_for_them, reason_for_us, key.second);
  }
  // Bounded: a goodbye is a courtesy; a peer that does not read it loses nothing.
  asio::steady_timer poll(executor_);
  auto deadline = net::Clock::now() + std::chrono::seconds(2);
  while (net::Clock::now() < deadline &&
         std::any_of(closing.begin(), closing.end(), [](const auto& c) { return !c->is_closed(); })) {
    poll.expires_after(std::chrono::milliseconds(20));
    co_await poll.async_wait(net::use_nothrow);
  }
}

asio::awaitable<std::string> LinkManager::send_private(const std::string& user, const std::string& text) {
  const Key key{user, Purpose::chat};
  auto it = links_.find(key);
  if (it == links_.end()) co_return fmt::format("no private link with {}", user);
  std::shared_ptr<Link> link = it->second;
  std::string id = random_id();
  asio::steady_timer wake(executor_, settings_.ack_timeout);
  Link::Waiter waiter{&wake};
  link->waiting[id] = &waiter;
  send(*link, wire::PrivateText{id, text, now_ms()});
  co_await wake.async_wait(net::use_nothrow);
  link->waiting.erase(id);
  if (waiter.acknowledged) co_return std::string{};
  if (!links_.contains(key) || links_[key] != link) co_return fmt::format("the link with {} closed", user);
  co_return fmt::format("{} did not acknowledge the message", user);
}

asio::awaitable<void> LinkManager::sweep_loop() {
  auto alive = alive_;
  while (*alive && !stopped_) {
    sweep_timer_.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await sweep_timer_.async_wait(net::use_nothrow);
    if (ec || !*alive || stopped_) co_return;
    auto now = net::Clock::now();
    tokens_.expire(now_ms());
    for (const auto& key : keys()) {
      auto link = links_[key];
      if (now - link->connection->last_received() > settings_.dead_after) {
        auto connection = link->connection;
        drop_link(
            key, fmt::format("connection lost: nothing heard for {} s",
                             std::chrono::duration_cast<std::chrono::seconds>(settings_.dead_after).count()));
        connection->close("dead link");
      } else if (key.second == Purpose::transfer && now - link->last_piece > settings_.transfer_idle) {
        close(key.first, "idle", "idle", Purpose::transfer);  // no download uses it any more
      } else if (now - link->last_sent >= settings_.heartbeat_every) {
        send(*link, wire::LinkHeartbeat{});
      }
    }
    std::vector<std::shared_ptr<net::Connection>> late;
    for (const auto& [raw, connection] : incoming_)
      if (now - connection->created() > settings_.hello_timeout) late.push_back(connection);
    for (auto& connection : late) {
      incoming_.erase(connection.get());
      spdlog::warn("direct links: {} sent no hello in time", connection->remote_address());
      connection->close("no hello in time");
    }
  }
}

}  // namespace parley::peer
