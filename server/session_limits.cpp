// Session: the hooks of the fair-use limits, bans and login throttling (server/limits/).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/server.hpp"
#include "server/session.hpp"
#include "shared/util/time.hpp"

namespace parley::server {
namespace {

std::int64_t whole_seconds(std::int64_t ms) { return std::max<std::int64_t>(1, (ms + 999) / 1000); }

}  // namespace

bool Session::over_fair_use(const wire::Message& message) {
  if (!server_.fair_use().applies_to(message)) return false;
  auto refusal = server_.fair_use().check(user_, message, server_.registry().files_owned(user_), now_ms());
  if (!refusal) return false;
  send(limits::refusal_reply(message, *refusal));
  if (refusal->kick) {
    const auto ban_ms = server_.fair_use().settings().abuse_ban_ms;
    spdlog::warn("session {} ({}): {} kept exceeding the fair-use limits", id_, connection_->remote_address(),
                 user_);
    server_.ban(
        user_, ban_ms,
        fmt::format("kicked for flooding the server; you may log in again in {} s", whole_seconds(ban_ms)));
  }
  return true;
}

bool Session::refuse_banned(std::uint32_t request, const std::string& user) {
  const auto now = now_ms();
  auto ban = server_.bans().active(user, now);
  if (!ban) return false;
  const auto left = whole_seconds(ban->until_ms - now);
  send(wire::LoginResult{request, wire::Status::locked, user,
                         fmt::format("{} (banned for {} more s)", ban->reason, left), 0, left});
  connection_->close_after_flush("banned");
  return true;
}

bool Session::refuse_login(const wire::Login& login) {
  const auto now = now_ms();
  if (refuse_banned(login.request, login.user)) return true;
  if (auto wait = server_.login_throttle().wait_ms(limits::ip_of(connection_->remote_address()), now);
      wait > 0) {
    send(wire::LoginResult{
        login.request, wire::Status::rate_limited, login.user,
        fmt::format("too many failed logins from your address; try again in {} s", whole_seconds(wait)), 0,
        whole_seconds(wait)});
    return true;
  }
  return false;
}

bool Session::refuse_sign_up(const wire::Login& login) {
  auto wait =
      server_.login_throttle().sign_up_wait_ms(limits::ip_of(connection_->remote_address()), now_ms());
  if (wait <= 0) return false;
  send(wire::LoginResult{login.request, wire::Status::rate_limited, login.user,
                         fmt::format("too many new accounts; try again in {} s", whole_seconds(wait)), 0,
                         whole_seconds(wait), true});
  return true;
}

}  // namespace parley::server
