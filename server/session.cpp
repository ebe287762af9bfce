#include "server/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/idle_policy.hpp"
#include "server/server.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::server {
namespace {
// A quarter of the default outbox limit: an offline batch never crowds out live traffic.
constexpr std::size_t kOfflineBatchBytes = 256 * 1024;
}  // namespace

Session::Session(Server& server, SessionId id, std::shared_ptr<net::Connection> connection)
    : server_(server), id_(id), connection_(std::move(connection)) {}

void Session::start() {
  auto self = shared_from_this();
  connection_->start(net::Role::server,
                     {.on_handshake = nullptr,
                      .on_frame = [self](std::span<const std::uint8_t> payload) { self->on_frame(payload); },
                      .on_close = [self](const std::string& reason) { self->on_closed(reason); }});
}

void Session::on_frame(std::span<const std::uint8_t> payload) {
  auto decoded = wire::decode(payload);
  if (!decoded.message) {
    protocol_error(wire::Status::bad_request, decoded.error);
    return;
  }
  handle(std::move(*decoded.message));
}

void Session::protocol_error(wire::Status status, const std::string& message) {
  spdlog::warn("session {} ({} {}): closing: {}", id_, connection_->remote_address(),
               user_.empty() ? "-" : user_, message);
  send(wire::ProtocolError{status, message.substr(0, wire::kMaxReason)});
  end("protocol error: " + message);
}

void Session::handle_hello(const wire::Message& message) {
  auto* hello = std::get_if<wire::Hello>(&message);
  if (!hello) return protocol_error(wire::Status::bad_request, "expected Hello first");
  if (hello->version != wire::kProtocolVersion) {
    return protocol_error(wire::Status::version_mismatch,
                          fmt::format("incompatible protocol version {}: this server speaks version {}",
                                      hello->version, wire::kProtocolVersion));
  }
  phase_ = Phase::login;
  auto heartbeat =
      std::chrono::duration_cast<std::chrono::milliseconds>(server_.config().dead_peer_timeout) / 3;
  send(wire::Welcome{wire::kProtocolVersion, "parley-server", static_cast<std::uint32_t>(heartbeat.count())});
}

void Session::handle(wire::Message&& message) {
  if (phase_ == Phase::ending) return;
  if (std::holds_alternative<wire::Heartbeat>(message)) {
    if (phase_ != Phase::hello) send(wire::Heartbeat{});
    return;
  }
  if (phase_ == Phase::hello) return handle_hello(message);
  if (auto* login = std::get_if<wire::Login>(&message)) return handle_login(std::move(*login));
  if (auto* resume = std::get_if<wire::Resume>(&message)) return handle_resume(std::move(*resume));
  if (phase_ != Phase::active) {
    if (phase_ == Phase::checking_password)
      return protocol_error(wire::Status::bad_request, "command during login");
    return protocol_error(wire::Status::not_logged_in,
                          fmt::format("{} before login", wire::type_name(message)));
  }
  // Anything the user did counts, a Ping included (a peer's "still here"); what the
  // software sends on its own (heartbeats, acknowledgements) does not.
  if (!std::holds_alternative<wire::AckOffline>(message)) {
    last_command_ = net::Clock::now();
    idle_warned_ = false;
  }
  if (over_fair_use(message)) return;

  auto now = now_ms();
  Registry& registry = server_.registry();
  std::visit(
      Overloaded{
          [&](wire::SendMessage& m) {
            const auto rows = registry.mailbox().rows_written();
            server_.apply(registry.send_message(id_, std::move(m), now), id_);
            // Written at once for an offline recipient: this sender feeds the store.
            if (registry.mailbox().rows_written() != rows) server_.pause_if_backlogged(id_);
          },
          [&](wire::Broadcast& m) { server_.apply(registry.broadcast(id_, m, now), id_); },
          [&](wire::WhoElse& m) { send(registry.who_else(id_, m.request)); },
          [&](wire::WhoElseSince& m) { send(registry.who_else_since(id_, m.request, m.seconds, now)); },
          [&](wire::ListBlocked& m) { send(registry.blocked_by(id_, m.request)); },
          [&](wire::Block& m) { server_.apply(registry.block(id_, m.request, m.user), id_); },
          [&](wire::Unblock& m) { server_.apply(registry.unblock(id_, m.request, m.user), id_); },
          [&](wire::Logout&) {
            revoke_token();
            end("logged out");
          },
          [&](wire::AckOffline& m) { acknowledge_offline(std::move(m.seqs)); },
          [&](wire::StartPrivate& m) {
            server_.apply(registry.start_private(id_, m, random_id(), now), id_);
          },
          [&](wire::LinkAnswer& m) { server_.apply(registry.answer_link(id_, m), id_); },
          [&](wire::RegisterFile& m) { server_.apply(registry.register_file(id_, m, now), id_); },
          [&](wire::SearchFile& m) { search_file(m); },
          [&](wire::HaveChunks& m) { server_.apply(registry.have_chunks(id_, m), id_); },
          [&](wire::Ping& m) { send(wire::Pong{m.request}); },
          [&](auto& other) {
            protocol_error(wire::Status::bad_request,
                           fmt::format("{} is not a client request", wire::type_name(other)));
          },
      },
      message);
}

void Session::handle_login(wire::Login&& login) {
  if (phase_ == Phase::active) {
    send(wire::LoginResult{login.request, wire::Status::already_online, user_, "you are already logged in", 0,
                           0});
    return;
  }
  if (phase_ != Phase::login)
    return protocol_error(wire::Status::bad_request, "login while a login is in progress");
  if (server_.config().allow_signup && !server_.registry().account_exists(login.user))
    return handle_sign_up(std::move(login));
  if (login.sign_up && server_.registry().account_exists(login.user)) {
    // A "new" password for an existing account must not count against its owner's lockout.
    return send(wire::LoginResult{login.request, wire::Status::unknown_user, login.user,
                                  fmt::format("cannot create account '{}': it is taken", login.user), 0, 0,
                                  false});
  }
  if (refuse_login(login)) return;
  auto refusal = server_.registry().check_login_allowed(login.user, now_ms());
  // An unknown name goes through a (dummy) password check like a known one: answering it
  // at once would tell a guesser which names exist.
  if (refusal && refusal->status != wire::Status::unknown_user) {
    refusal->request = login.request;
    spdlog::info("session {} ({}): login refused for '{}': {}", id_, connection_->remote_address(),
                 login.user, refusal->message);
    bool locked = refusal->status == wire::Status::locked;
    send(*refusal);
    if (locked) connection_->close_after_flush("account locked");
    return;
  }
  phase_ = Phase::checking_password;
  std::weak_ptr<Session> weak = shared_from_this();
  server_.verify_password(
      login.user, std::move(login.password), connection_->remote_address(), weak,
      [weak, request = login.request, user = login.user,
       endpoint = std::move(login.endpoint)](Server::PasswordCheck check) {
        auto self = weak.lock();
        if (!self || self->phase_ != Phase::checking_password) return;
        if (check == Server::PasswordCheck::busy) {
          self->phase_ = Phase::login;
          self->send(wire::LoginResult{request, wire::Status::unavailable, user,
                                       "the server is busy checking passwords; try again in a moment", 0, 1});
          return;
        }
        bool ok = check == Server::PasswordCheck::match;
        auto fx = self->server_.registry().finish_login(
            request, user, ok, self->id_, self->connection_->remote_address(), endpoint, now_ms());
        self->complete_login(std::move(fx), user);
      });
}

void Session::handle_sign_up(wire::Login&& login) {
  wire::LoginResult reply{login.request, wire::Status::unknown_user, login.user, "", 0, 0, false};
  if (auto why = server_.registry().sign_up_refusal(login.user); !why.empty()) {
    reply.message = fmt::format("cannot create account '{}': {}", login.user, why);
    return send(reply);
  }
  reply.can_sign_up = true;
  if (!login.sign_up) {
    reply.message = fmt::format("no account named '{}' yet: choose a password to create it", login.user);
    return send(reply);
  }
  if (login.password.size() < kMinSignUpPassword) {
    reply.status = wire::Status::bad_request;
    reply.message = fmt::format("a new password needs at least {} characters", kMinSignUpPassword);
    return send(reply);
  }
  if (refuse_sign_up(login)) return;
  phase_ = Phase::checking_password;
  std::weak_ptr<Session> weak = shared_from_this();
  server_.create_account(
      login.user, std::move(login.password), connection_->remote_address(), weak,
      [weak, request = login.request, user = login.user,
       endpoint = std::move(login.endpoint)](Server::AccountCreation created) {
        auto self = weak.lock();
        if (!self || self->phase_ != Phase::checking_password) return;
        if (!created.ok) {
          self->phase_ = Phase::login;
          self->send(wire::LoginResult{request, wire::Status::unavailable, user, created.error, 0, 1, true});
          return;
        }
        spdlog::info("session {} ({}): account '{}' created", self->id_, self->connection_->remote_address(),
                     user);
        // The account is durable by now: an account the server confirmed survives a crash.
        auto fx = self->server_.registry().finish_login(
            request, user, true, self->id_, self->connection_->remote_address(), endpoint, now_ms());
        self->complete_login(std::move(fx), user);
      });
}

void Session::complete_login(Effects fx, const std::string& user, bool password_login) {
  auto self = shared_from_this();
  auto* reply = std::get_if<wire::LoginResult>(&*fx.reply);
  bool success = reply && reply->status == wire::Status::ok;
  bool locked = reply && reply->status == wire::Status::locked;
  spdlog::info("session {} ({}): login '{}': {}", id_, connection_->remote_address(), user,
               reply ? reply->message : "?");
  if (success) {
    server_.connection_caps().logged_in(id_);
    phase_ = Phase::active;
    user_ = user;
    login_seq_ = server_.registry().mailbox().next_seq();
    offline_cursor_ = 0;
    logged_in_ms_ = now_ms();
    last_command_ = net::Clock::now();
    idle_warned_ = false;
    if (password_login) token_hash_ = server_.issue_token(user, fx, *reply);
  } else {
    phase_ = Phase::login;
  }
  std::function<void()> after_reply;
  if (success)
    after_reply = [self] {
      self->deliver_offline();
      self->server_.check_reachability(self->id_);
    };
  if (locked) after_reply = [self] { self->connection_->close_after_flush("account locked"); };
  server_.apply(std::move(fx), id_, std::move(after_reply));
}

void Session::deliver_offline() {
  std::weak_ptr<Session> weak = shared_from_this();
  server_.fetch_mailbox(user_, offline_cursor_, login_seq_, [weak](std::vector<StoredMessage> messages) {
    auto self = weak.lock();
    if (self && self->phase_ == Phase::active) self->push_offline(std::move(messages));
  });
}

void Session::push_offline(std::vector<StoredMessage> messages) {
  // A batch must fit the outbox with room to spare, whatever the messages' sizes, or the
  // recipient would be cut off at every login and never get them. What does not fit
  // stays stored and follows once this batch is acknowledged.
  std::size_t bytes = 0, sent = 0;
  for (auto& m : messages) {
    auto frame = wire::make_frame(wire::ChatEvent{std::move(m.msg_id), std::move(m.from), std::move(m.group),
                                                  std::move(m.text), m.sent_ms, m.seq, true});
    if (sent > 0 && bytes + frame->size() > kOfflineBatchBytes) break;
    bytes += frame->size();
    ++sent;
    offline_cursor_ = m.seq;
    offline_in_flight_.push_back(m.seq);
    send(std::move(frame));
  }
  offline_more_ = messages.size() == wire::kMaxOfflineBatch || sent < messages.size();
  if (sent > 0) spdlog::info("session {}: delivered {} offline message(s) to {}", id_, sent, user_);
}

void Session::acknowledge_offline(std::vector<std::int64_t> seqs) {
  server_.acknowledge(id_, seqs);
  if (offline_in_flight_.empty()) return;
  std::erase_if(offline_in_flight_,
                [&](std::int64_t seq) { return std::find(seqs.begin(), seqs.end(), seq) != seqs.end(); });
  // The next batch once this one is acknowledged (the cursor skips what was pushed).
  if (offline_more_ && offline_in_flight_.empty()) deliver_offline();
}

void Session::check_deadlines(net::Clock::time_point now) {
  const auto& config = server_.config();
  if (connection_->is_closed()) return;
  auto stalled = connection_->write_started();
  auto flushing = connection_->flushing_since();
  if (!connection_->handshake_done()) {
    if (now - connection_->created() > config.handshake_timeout) connection_->close("TLS handshake timeout");
  } else if (stalled && now - *stalled > config.write_stall_timeout) {
    connection_->close("write stalled: the peer is not reading");
  } else if (flushing && now - *flushing > config.flush_timeout) {
    connection_->close("goodbye not flushed in time");
  } else if (now - connection_->last_received() > config.dead_peer_timeout &&
             !connection_->reading_paused()) {
    connection_->close(
        fmt::format("nothing received for {} s: peer presumed gone", config.dead_peer_timeout.count()));
  } else if (flushing) {
    return;  // ending already
  } else if (phase_ == Phase::active) {
    check_idle(now);
  } else if ((phase_ == Phase::hello || phase_ == Phase::login) &&
             now - connection_->created() > config.login_timeout) {
    end("login timeout");
  }
}

void Session::check_idle(net::Clock::time_point now) {
  const auto timeout = server_.config().timeout;
  const auto idle = now - last_command_;
  switch (idle_action(idle, timeout, idle_warned_)) {
    case IdleAction::logout:
      return end(fmt::format("logged out after {} s of inactivity", timeout.count()));
    case IdleAction::warn:
      idle_warned_ = true;
      return send(wire::IdleWarning{idle_seconds_left(idle, timeout)});
    case IdleAction::none:
      return;
  }
}

void Session::end(const std::string& reason, bool temporary) {
  if (phase_ == Phase::ending) return;
  bool was_active = phase_ == Phase::active;
  phase_ = Phase::ending;
  spdlog::info("session {} ({}): ending{}: {}", id_, connection_->remote_address(),
               was_active ? " " + user_ : "", reason);
  if (was_active) server_.apply(server_.registry().logout(id_, reason, now_ms(), !temporary), id_);
  send(wire::LoggedOut{reason, temporary});
  connection_->close_after_flush(reason);
}

void Session::on_closed(const std::string& reason) {
  if (auto* user = server_.registry().user_of(id_)) {
    spdlog::info("session {} ({}): {} disconnected: {}", id_, connection_->remote_address(), *user, reason);
    server_.apply(server_.registry().connection_lost(id_, "connection lost: " + reason, now_ms()), id_);
  } else {
    spdlog::info("session {} ({}): closed: {}", id_, connection_->remote_address(),
                 user_.empty() ? reason : user_ + ": " + reason);
  }
  server_.session_closed(id_);
}

}  // namespace parley::server
