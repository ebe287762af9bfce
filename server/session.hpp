// One client connection on the server: the protocol state machine
// hello -> login -> (password check) -> active, turning decoded requests into registry
// calls and the registry's effects into frames. It never touches bytes (Connection
// does) nor state of other users (Registry does).
#pragma once

#include <memory>
#include <string>

#include "server/registry/registry.hpp"
#include "shared/net/connection.hpp"

namespace parley::server {

class Server;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server& server, SessionId id, std::shared_ptr<net::Connection> connection);

  void start();
  void send(wire::SharedFrame frame) { connection_->send(std::move(frame)); }
  void send(const wire::Message& message) { connection_->send(message); }
  // Called by the server's sweep (several times a second at most, see idle_policy.hpp):
  // enforces the handshake, login, liveness, inactivity and write-stall deadlines, and
  // warns a user who is about to be logged out for inactivity.
  void check_deadlines(net::Clock::time_point now);
  // Logs the user out (if logged in), tells them why, and closes after flushing.
  // `temporary`: the server is shutting down, the client should come back later.
  void end(const std::string& reason, bool temporary = false);
  // For the server's destructor, after the event loop stopped.
  void abandon() { connection_->abandon(); }

  // Back-pressure from the store (server_limits.cpp); a paused session is not "dead".
  void set_reading_paused(bool paused) {
    paused ? connection_->pause_reading() : connection_->resume_reading();
  }
  bool reading_paused() const { return connection_->reading_paused(); }
  std::size_t queued_bytes() const { return connection_->queued_bytes(); }

  SessionId id() const { return id_; }
  const std::string& user() const { return user_; }  // empty until logged in
  std::int64_t logged_in_ms() const { return logged_in_ms_; }
  const std::string& remote_address() const { return connection_->remote_address(); }

 private:
  enum class Phase { hello, login, checking_password, active, ending };

  void on_frame(std::span<const std::uint8_t> payload);
  void on_closed(const std::string& reason);
  void handle(wire::Message&& message);
  void handle_hello(const wire::Message& message);
  void handle_login(wire::Login&& login);
  void handle_sign_up(wire::Login&& login);
  // `password_login`: a Login (not a Resume), which earns a new resumption token.
  void complete_login(Effects fx, const std::string& user, bool password_login = true);
  // session_resume.cpp: a Resume with a token instead of the password.
  void handle_resume(wire::Resume&& resume);
  void revoke_token();
  static constexpr std::size_t kMinSignUpPassword = 8;
  void check_idle(net::Clock::time_point now);
  void protocol_error(wire::Status status, const std::string& message);
  // session_limits.cpp: true if the request was refused (and answered) for fair use.
  bool over_fair_use(const wire::Message& message);
  // True if this login was refused (and answered) before any password check: a ban, or
  // too many failures from this address.
  // A banned user is told for how long, by a password login or a resume alike.
  bool refuse_banned(std::uint32_t request, const std::string& user);
  bool refuse_login(const wire::Login& login);
  bool refuse_sign_up(const wire::Login& login);  // too many sign-ups from here, or in all
  // session_files.cpp: the registry's answer, with the chunk digests from the store.
  void search_file(const wire::SearchFile& request);
  void deliver_offline();
  void push_offline(std::vector<StoredMessage> messages);
  void acknowledge_offline(std::vector<std::int64_t> seqs);

  Server& server_;
  SessionId id_;
  std::shared_ptr<net::Connection> connection_;
  Phase phase_ = Phase::hello;
  std::string user_;
  std::int64_t logged_in_ms_ = 0;
  net::Clock::time_point last_command_ = net::Clock::now();
  bool idle_warned_ = false;                     // this idle period's IdleWarning has gone out
  std::vector<std::int64_t> offline_in_flight_;  // from the mailbox, pushed, not yet acknowledged
  bool offline_more_ = false;                    // the last batch was full: fetch again after the ack
  std::int64_t offline_cursor_ = 0;              // the highest seq fetched from the mailbox so far
  // The mailbox's next seq at login: every message from then on was pushed to this
  // session live, so the mailbox is read only below it.
  std::int64_t login_seq_ = 0;
  std::string token_hash_;  // this session's resumption token, revoked at logout
};

}  // namespace parley::server
