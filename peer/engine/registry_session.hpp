// The peer's session with the registry: connect and check the server's certificate
// (pinned on first use), log in or sign up, and after a lost connection log in again by
// itself, with backoff and jitter, until it is back or told to stop. Logging in again
// resumes with the token of the last login (token_file.hpp; no password sent, no scrypt
// on the server), and falls back to the password, which it remembers for this run only,
// when the token is refused.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>

#include "peer/engine/config.hpp"
#include "peer/known_servers.hpp"
#include "peer/registry_client.hpp"
#include "shared/net/async.hpp"
#include "shared/wire/messages.hpp"

namespace parley::peer {

class RegistrySession {
 public:
  struct Hooks {
    std::function<void(wire::Message&&)> on_event;  // pushed by the server
    // Called once per connection, before Login: the direct-link endpoint to announce,
    // given the local address the server is reached from.
    std::function<wire::LinkEndpoint(const std::string& local_address)> endpoint;
    std::function<void(const std::string& reason)> on_lost;     // unreachable, retrying
    std::function<void()> on_back;                              // logged in again after a loss
    std::function<void(const std::string& reason)> on_give_up;  // retrying cannot help
  };
  // What connecting found out about the server's certificate.
  struct Connected {
    std::string error;  // non-empty: not connected
    std::string fingerprint;
    bool first_use = false;  // not pinned yet: trust() pins it
    std::string pin_message;
  };
  struct LoginOutcome {
    wire::Status status = wire::Status::internal;
    std::string message;
    bool can_sign_up = false;
    std::int64_t retry_after_s = 0;
    bool connect_failed = false;  // the server could not be reached at all
    bool ok() const { return status == wire::Status::ok; }
  };

  RegistrySession(asio::any_io_executor executor, const PeerConfig& config, Hooks hooks);

  // Connects and checks the certificate against the pins (a changed one is refused).
  // With `ask_first_use`, a certificate never seen is accepted for this connection only,
  // until trust() pins it; otherwise it is pinned at once (scripts).
  asio::awaitable<Connected> connect(bool ask_first_use);
  void trust();
  // Logs in on the current connection if no login was tried on it yet, else on a new
  // one. One attempt at a time: a call while one is under way waits for its outcome.
  asio::awaitable<LoginOutcome> log_in(const std::string& user, const std::string& password, bool sign_up);

  // Logged in and connected.
  bool up() const { return up_; }
  bool retrying() const { return retrying_; }
  const std::string& user() const { return user_; }
  bool has_password() const { return !password_.empty(); }
  const std::string& password() const { return password_; }

  // The connection was lost while logged in: keep trying in the background.
  void connection_lost(const std::string& reason);
  // Our session ended for good (logged out, kicked): stay down until log_in_again().
  void ended() { up_ = false; }
  // Resumes with the token if there is one, else (or if it is refused) logs in with the
  // password given at start.
  asio::awaitable<LoginOutcome> log_in_again();
  bool has_token() const { return !token_.empty(); }
  void retry_now() { retry_.notify(); }
  // Until the connection is closed (the server ends it after LoggedOut), at most `timeout`.
  asio::awaitable<void> wait_closed(std::chrono::milliseconds timeout);
  void stop();

  RegistryClient& client() { return client_; }

 private:
  asio::awaitable<void> retry_loop();
  asio::awaitable<LoginOutcome> exclusive(const std::string& user, const std::string& password, bool sign_up,
                                          bool resume);
  asio::awaitable<LoginOutcome> attempt(const std::string& user, const std::string& password, bool sign_up,
                                        bool resume);
  void keep_token(std::string token);
  std::string check_fingerprint(const std::string& fingerprint, bool ask_first_use);

  asio::any_io_executor executor_;
  const PeerConfig& config_;
  Hooks hooks_;
  RegistryClient client_;
  net::AsyncEvent retry_;
  net::AsyncEvent closed_;
  net::AsyncEvent login_done_;
  LoginOutcome last_outcome_;
  bool logging_in_ = false;
  bool connection_used_ = false;  // a Login was sent on the current connection
  std::string user_;
  std::string password_;
  std::string token_;  // for Resume; "" when there is none or it was refused
  std::string seen_fingerprint_;
  std::optional<PinCheck> pin_;
  bool connected_ = false;
  bool up_ = false;
  bool retrying_ = false;
  bool stopped_ = false;
};

}  // namespace parley::peer
