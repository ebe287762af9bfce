// What open links carry: private messages and their acknowledgements, pieces on
// transfer links, heartbeats, goodbyes; and the sweep that closes dead and idle links.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "peer/links/link_manager.hpp"
#include "peer/links/link_state.hpp"
#include "shared/net/async.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/codec.hpp"

namespace parley::peer {
namespace {

bool is_piece_message(const wire::LinkMessage& m) {
  return std::holds_alternative<wire::PieceRequest>(m) || std::holds_alternative<wire::PieceData>(m) ||
         std::holds_alternative<wire::PieceRefused>(m);
}

}  // namespace

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
                     it->second->wake->notify();
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

asio::awaitable<std::string> LinkManager::send_private(const std::string& user, const std::string& text) {
  const std::string id = random_id();
  co_return co_await send_private(user, text, id);
}

asio::awaitable<std::string> LinkManager::send_private(const std::string& user, const std::string& text,
                                                       const std::string& id) {
  const Key key{user, Purpose::chat};
  auto it = links_.find(key);
  if (it == links_.end()) co_return fmt::format("no private link with {}", user);
  std::shared_ptr<Link> link = it->second;
  auto alive = alive_;
  net::AsyncEvent wake(executor_);
  Link::Waiter waiter{&wake};
  link->waiting[id] = &waiter;
  send(*link, wire::PrivateText{id, text, now_ms()});
  co_await wake.wait_for(settings_.ack_timeout);
  link->waiting.erase(id);
  if (waiter.acknowledged) co_return std::string{};
  if (!*alive) co_return std::string("shutting down");
  if (auto now = links_.find(key); now == links_.end() || now->second != link)
    co_return fmt::format("the link with {} closed", user);
  co_return fmt::format("{} did not acknowledge the message", user);
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
  // Bounded: a goodbye is a courtesy; a peer that does not read it loses nothing. The
  // event is held here: this manager may be destroyed while we wait.
  const auto closed = connection_closed_;
  const auto deadline = net::Clock::now() + std::chrono::seconds(2);
  while (std::any_of(closing.begin(), closing.end(), [](const auto& c) { return !c->is_closed(); }))
    if (!co_await closed->wait(deadline)) break;
}

asio::awaitable<void> LinkManager::sweep_loop() {
  auto alive = alive_;
  while (*alive && !stopped_) {
    sweep_timer_.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await sweep_timer_.async_wait(net::use_nothrow);
    if (ec || !*alive || stopped_) co_return;
    sweep(net::Clock::now());
  }
}

void LinkManager::sweep(net::Clock::time_point now) {
  tokens_.expire(now_ms());
  for (const auto& key : keys()) {
    auto link = links_[key];
    if (now - link->connection->last_received() > settings_.dead_after) {
      auto connection = link->connection;
      drop_link(key,
                fmt::format("connection lost: nothing heard for {} s",
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

}  // namespace parley::peer
