// A Session's resumption: a Resume logs in with a token from an earlier login instead of
// the password. It costs a SHA-256 on the loop (no scrypt, no worker), counts toward no
// lockout, and every refusal reads the same, whatever the name, so it tells nothing about
// which accounts exist.
#include <spdlog/spdlog.h>

#include "server/server.hpp"
#include "server/session.hpp"
#include "shared/util/time.hpp"

namespace parley::server {

void Session::handle_resume(wire::Resume&& resume) {
  if (phase_ == Phase::active) {
    send(wire::LoginResult{resume.request, wire::Status::already_online, user_, "you are already logged in",
                           0, 0});
    return;
  }
  if (phase_ != Phase::login)
    return protocol_error(wire::Status::bad_request, "resume while a login is in progress");
  if (refuse_banned(resume.request, resume.user)) return;  // a token does not outlast a ban
  const auto credential = server_.credential_digest_of(resume.user);
  auto check =
      server_.tokens().verify(resume.token, resume.user, credential ? &*credential : nullptr, now_ms());
  server_.forget_tokens(std::move(check.change));
  if (!check.ok()) {
    spdlog::info("session {} ({}): resume refused for '{}': token {}", id_, connection_->remote_address(),
                 resume.user, ResumeTokens::to_string(check.verdict));
    send(wire::LoginResult{resume.request, wire::Status::token_refused, resume.user,
                           "this session can no longer be resumed (the token is unknown, expired or "
                           "revoked): log in with your password",
                           0, 0});
    return;
  }
  std::optional<SessionId> replaced;
  auto fx = server_.registry().resume(resume.request, resume.user, id_, connection_->remote_address(),
                                      resume.endpoint, now_ms(), replaced);
  if (replaced) server_.end_replaced(*replaced);
  token_hash_ = check.hash;
  complete_login(std::move(fx), resume.user, false);
}

void Session::revoke_token() {
  if (token_hash_.empty()) return;
  server_.forget_tokens(server_.tokens().revoke(std::exchange(token_hash_, {})));
}

}  // namespace parley::server
