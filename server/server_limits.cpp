// Server: bans, and keeping the limits' memory to what is in use.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include "server/server.hpp"
#include "server/session.hpp"
#include "shared/util/time.hpp"

namespace parley::server {

bool Server::ban(const std::string& user, std::int64_t duration_ms, const std::string& reason) {
  bans_.ban(user, now_ms() + duration_ms, reason);
  spdlog::info("{} banned for {} s: {}", user, duration_ms / 1000, reason);
  return kick(user, reason);
}

void Server::prune_limits() {
  const auto now = now_ms();
  fair_use_.prune(now);
  bans_.prune(now);
  login_throttle_.prune(now);
  if (memory_trim_.due(sessions_.size())) {
    ::malloc_trim(0);
    spdlog::debug("memory trimmed: {} connection(s) now", sessions_.size());
  }
}

// Before TLS: a connection refused here costs a file descriptor for a moment, no more.
bool Server::admit_connection(SessionId id, const asio::ip::tcp::socket& socket) {
  std::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return false;  // already gone
  const auto admission = caps_.admit(id, endpoint.address().to_string());
  if (admission == limits::ConnectionCaps::Admission::admitted) return true;
  // At debug level: a flood would otherwise write a line per connection.
  spdlog::debug("connection from {} refused: {}", endpoint.address().to_string(),
                limits::to_string(admission));
  return false;
}

void Server::pause_if_backlogged(SessionId feeder) {
  // The mailbox hands its rows over at the end of the pass: a flooder is paused as soon
  // as they are too many, not one pass (a whole socket's worth of input) later.
  if (!store_pressure_.backlogged(registry_.mailbox().batch_ops())) return;
  auto it = sessions_.find(feeder);
  if (it == sessions_.end() || it->second->reading_paused()) return;
  it->second->set_reading_paused(true);
  paused_.push_back(feeder);
}

void Server::store_committed(std::size_t ops) {
  if (store_pressure_.committed(ops)) resume_reading();
}

void Server::resume_reading() {
  for (SessionId id : std::exchange(paused_, {}))
    if (auto it = sessions_.find(id); it != sessions_.end()) it->second->set_reading_paused(false);
}

bool Server::keeps_up(SessionId session, std::size_t frame_bytes) const {
  auto it = sessions_.find(session);
  return it == sessions_.end() || it->second->queued_bytes() + frame_bytes <= config_.max_outbox_bytes / 2;
}

}  // namespace parley::server
