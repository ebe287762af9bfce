// The server's side of session resumption tokens: issuing them with fresh randomness,
// binding them to the current credential, and making their removal durable.
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <array>

#include "server/server.hpp"
#include "server/session.hpp"
#include "shared/util/time.hpp"

namespace parley::server {

std::optional<std::string> Server::credential_digest_of(const std::string& user) const {
  auto it = credentials_.find(user);
  if (it == credentials_.end()) return std::nullopt;
  return credential_digest(it->second);
}

std::string Server::issue_token(const std::string& user, Effects& fx, wire::LoginResult& reply) {
  auto credential = credential_digest_of(user);
  std::array<std::uint8_t, 32> secret{};
  if (!credential || RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    spdlog::warn("no resumption token for '{}'", user);  // the login itself still counts
    return {};
  }
  auto issued = tokens_.issue(user, *credential, secret, now_ms());
  reply.resume_token = std::move(issued.token);
  fx.writes.push_back(std::move(issued.change));
  return issued.hash;
}

void Server::forget_tokens(op::TokenChanges change) {
  if (change.empty()) return;
  store_->write({std::move(change)}, [](bool ok) {
    if (!ok)
      spdlog::error("store: resumption tokens not deleted (a revoked one may work again after a restart)");
  });
}

void Server::end_replaced(SessionId session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  auto keep = it->second;  // ending may erase it from the map
  keep->end("you logged in again elsewhere");
}

}  // namespace parley::server
