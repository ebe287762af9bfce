#include "server/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "server/auth/credentials_file.hpp"
#include "server/idle_policy.hpp"
#include "server/session.hpp"
#include "server/storage/sqlite_store.hpp"
#include "shared/net/async.hpp"
#include "shared/net/flush_scheduler.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::server {
namespace {

CredentialsFile load_accounts(const ServerConfig& config) {
  try {
    return load_credentials(config.credentials);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("cannot load credentials: {}", e.what()));
  }
}

std::set<std::string, std::less<>> names_of(const std::map<std::string, Credential, std::less<>>& accounts) {
  std::set<std::string, std::less<>> names;
  for (const auto& [name, _] : accounts) names.insert(name);
  return names;
}

// As long as parley-peer waits for the peers of a restarted server to come back
// (PresenceTracker::kSettle) before it asks who is back.
constexpr std::int64_t kQuietResumesMs = 20'000;

// The grace timer wakes this long after the oldest deadline, so that one wake-up hands
// every row overdue by then to the store as one batch.
constexpr std::int64_t kGraceSlackMs = 5;

limits::LoginThrottleSettings with_workers(limits::LoginThrottleSettings settings, std::size_t workers) {
  settings.workers = workers;
  return settings;
}

}  // namespace

Server::Server(asio::io_context& io, ServerConfig config)
    : io_(io),
      config_(std::move(config)),
      tls_(asio::ssl::context::tls_server),
      registry_({}, {}),
      workers_(config_.password_workers),
      acceptor_(io),
      sweep_timer_(io),
      grace_timer_(io),
      session_closed_(io.get_executor()),
      probe_tls_(asio::ssl::context::tls_client),
      fair_use_(config_.fair_use),
      caps_(config_.caps),
      login_throttle_(with_workers(config_.login_throttle, config_.password_workers)) {
  // Several senders' messages to one recipient share a write (see kRelayFlushBounds).
  asio::use_service<net::FlushScheduler>(io).set_bounds(net::kRelayFlushBounds);
  CredentialsFile accounts = load_accounts(config_);
  credentials_ = std::move(accounts.accounts);
  credential_problems_ = std::move(accounts.problems);
  for (const auto& problem : credential_problems_) spdlog::warn("{}", problem);

  std::filesystem::create_directories(config_.data_dir);
  std::filesystem::permissions(config_.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  identity_ = net::load_or_create_identity(config_.data_dir, "server", "parley-server");
  tls_ = net::make_server_context(identity_);
  probe_tls_ = net::make_link_context(identity_);

  store_ = open_sqlite_store(config_.data_dir / "parley.db", io_.get_executor());
  registry_ = Registry(names_of(credentials_),
                       RegistrySettings{.block_duration_ms = config_.block_duration.count() * 1000,
                                        .max_failures = 3,
                                        .link_answer_ms = config_.link_answer_timeout.count() * 1000,
                                        .ack_grace_ms = config_.ack_grace.count(),
                                        .mailbox_quota = config_.mailbox_quota,
                                        .presence_grace_ms = config_.presence_grace.count(),
                                        .quiet_resumes_until_ms = now_ms() + kQuietResumesMs,
                                        .relay = config_.relay_port.has_value() || !config_.relay_at.empty(),
                                        .force_path = config_.force_path});
  tokens_ = ResumeTokens({.lifetime_ms = config_.token_lifetime.count() * 1000});
  PersistedState state = store_->load();
  // Accounts made by sign-up live in the database; the credentials file wins a clash.
  for (auto& [name, hash] : state.accounts) {
    if (credentials_.contains(name)) continue;
    credentials_[name] = Credential{Credential::Kind::hashed, hash};
    registry_.add_account(name);
  }
  registry_.restore(state);
  // Durable before the first seq is handed out: no seq is ever handed out twice.
  store_->write({registry_.mailbox().reservation()}, [](bool) {});
  store_->flush();
  forget_tokens(tokens_.restore(std::move(state.resume_tokens), now_ms()));
}

Server::~Server() {
  workers_.join();
  // The loop has stopped: on_close handlers will not run to break the session <->
  // connection cycles, so break them here.
  for (auto& [id, session] : sessions_) session->abandon();
}

void Server::start() {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(config_.bind), config_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  start_relay();
  asio::co_spawn(io_, accept_loop(), net::LogExceptions{"accept loop"});
  asio::co_spawn(io_, sweep_loop(), net::LogExceptions{"sweep loop"});
}

std::vector<Server::OnlineUser> Server::online_users() const {
  std::vector<OnlineUser> out;
  for (const auto& [id, session] : sessions_)
    if (registry_.user_of(id))
      out.push_back({session->user(), session->logged_in_ms(), session->remote_address()});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.user < b.user; });
  return out;
}

bool Server::kick(const std::string& user, const std::string& reason) {
  for (const auto& [id, session] : sessions_) {
    const std::string* name = registry_.user_of(id);
    if (!name || *name != user) continue;
    spdlog::info("operator kicked {}: {}", user, reason);
    // A kicked user must not walk back in by resuming: only the password lets them.
    forget_tokens(tokens_.revoke_user(user));
    auto keep = session;  // ending may erase it from the map
    keep->end(reason);
    return true;
  }
  return false;
}

std::size_t Server::announce(const std::string& text) {
  // Serialized once, the same bytes to everyone.
  auto frame = wire::make_frame(wire::Message{wire::Announcement{text, now_ms()}});
  std::size_t count = 0;
  for (const auto& [id, session] : sessions_)
    if (registry_.user_of(id)) {
      session->send(frame);
      ++count;
    }
  spdlog::info("operator announced to {}: {}", count, text);
  return count;
}

void Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  workers_.stop();  // queued password checks would only delay the exit
  std::error_code ignored;
  acceptor_.close(ignored);
  sweep_timer_.cancel();
  grace_timer_.cancel();
  if (relay_) relay_->stop();
  auto sessions = sessions_;  // ending a session may erase it from the map
  // Each writes what its user did not acknowledge yet.
  for (auto& [id, session] : sessions) session->end("server shutting down", true);
  flush_mailbox();
  store_->flush();
  const Mailbox& mailbox = registry_.mailbox();
  spdlog::info("mailbox: {} message(s) since start-up, {} row(s) written, {} message(s) stored now",
               mailbox.messages(), mailbox.rows_written(), mailbox.stored());
}

void Server::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  spdlog::info("shutting down");
  shutdown_deadline_ = std::chrono::steady_clock::now() + grace;
  shutdown_done_ = std::move(done);
  stop();  // tells every session, and waits for the store to be durable
  asio::co_spawn(io_, wait_for_sessions(), net::LogExceptions{"shutdown"});
}

asio::awaitable<void> Server::wait_for_sessions() {
  while (!sessions_.empty()) {
    // Awaited into a variable: with this co_await inside the if condition, g++ 12 built a
    // coroutine that crashed here (a garbage `this`, or an invalid opcode).
    const bool closed = co_await session_closed_.wait(shutdown_deadline_);
    if (!closed) break;  // peers that do not read their goodbye are not waited for
  }
  if (shutdown_done_) shutdown_done_();
}

asio::awaitable<void> Server::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(net::use_nothrow);
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors and similar: back off instead of spinning on the error.
      spdlog::error("accept failed: {}", ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(net::use_nothrow);
      continue;
    }
    SessionId id = next_session_++;
    if (!admit_connection(id, socket)) continue;
    auto connection = std::make_shared<net::Connection>(
        net::TlsStream(std::move(socket), tls_),
        net::ConnectionLimits{.max_frame = wire::kMaxFrame, .max_outbox_bytes = config_.max_outbox_bytes});
    spdlog::info("session {} ({}): connected", id, connection->remote_address());
    auto session = std::make_shared<Session>(*this, id, std::move(connection));
    sessions_.emplace(id, session);
    memory_trim_.note(sessions_.size());
    session->start();
  }
}

asio::awaitable<void> Server::sweep_loop() {
  while (!stopping_) {
    sweep_timer_.expires_after(sweep_interval(config_.timeout));
    auto [ec] = co_await sweep_timer_.async_wait(net::use_nothrow);
    if (ec || stopping_) co_return;
    auto now = net::Clock::now();
    for (auto& [id, session] : sessions_) session->check_deadlines(now);
    apply(registry_.expire_link_requests(now_ms()), 0);
    apply(registry_.announce_departures(now_ms()), 0);
    if (now_ms() >= next_token_expiry_ms_) {  // an hourly pass is plenty for days-long tokens
      next_token_expiry_ms_ = now_ms() + 3600 * 1000;
      forget_tokens(tokens_.expire(now_ms()));
    }
    prune_limits();
  }
}

void Server::send_to(SessionId session, wire::SharedFrame frame) {
  if (auto it = sessions_.find(session); it != sessions_.end()) it->second->send(std::move(frame));
}

std::size_t Server::deliver(const Outbound& outbound) {
  if (outbound.to.empty()) return 0;
  // Once, whatever the audience.
  auto frame = outbound.frame ? outbound.frame : wire::make_frame(outbound.message);
  const bool live_only = std::holds_alternative<wire::BroadcastEvent>(outbound.message) ||
                         std::holds_alternative<wire::PresenceEvent>(outbound.message);
  std::size_t dropped = 0;
  for (SessionId id : outbound.to) {
    if (!live_only || keeps_up(id, frame->size()))
      send_to(id, frame);
    else
      ++dropped;
  }
  return dropped;
}

void Server::apply(Effects effects, SessionId requester, std::function<void()> after_reply) {
  std::size_t dropped = 0;
  for (auto& outbound : effects.sends) {
    stamp_relay(outbound);
    dropped += deliver(outbound);
  }
  // A broadcast's sender is told how many copies went out, not how many were meant to.
  auto* broadcast = effects.reply ? std::get_if<wire::BroadcastResult>(&*effects.reply) : nullptr;
  if (broadcast && dropped > 0) {
    broadcast->delivered -= static_cast<std::uint32_t>(std::min<std::size_t>(dropped, broadcast->delivered));
    broadcast->some_skipped = true;
  }
  for (const auto& [session, message] : effects.direct) send_to(session, wire::make_frame(message));
  schedule_mailbox();
  if (!effects.bookkeeping.empty()) store_->write(std::move(effects.bookkeeping), [](bool) {});
  if (!effects.reply) {
    if (after_reply) after_reply();
    return;
  }
  if (effects.writes.empty()) {
    send_to(requester, wire::make_frame(*effects.reply));
    if (after_reply) after_reply();
    return;
  }
  const std::size_t ops = effects.writes.size();
  store_queued(ops);
  pause_if_backlogged(requester);
  store_->write(std::move(effects.writes), [this, requester, ops, reply = std::move(*effects.reply),
                                            after_reply = std::move(after_reply)](bool ok) mutable {
    store_committed(ops);
    if (!ok) {
      // Nothing was stored: say so instead of acknowledging.
      if (auto* sent = std::get_if<wire::SendResult>(&reply)) {
        for (auto& r : sent->recipients)
          if (r.status == wire::Status::stored_offline) r.status = wire::Status::internal;
      } else if (auto* result = std::get_if<wire::Result>(&reply)) {
        result->status = wire::Status::internal;
        result->message = "the server could not save this; try again";
      } else if (auto* login = std::get_if<wire::LoginResult>(&reply)) {
        login->resume_token.clear();  // not stored: it would not survive a restart
      }
    }
    send_to(requester, wire::make_frame(reply));
    if (after_reply) after_reply();
  });
}

void Server::acknowledge(SessionId session, std::span<const std::int64_t> seqs) {
  apply(registry_.acknowledge(session, seqs), session);
}

void Server::fetch_mailbox(std::string user, std::int64_t after_seq, std::int64_t before_seq,
                           std::function<void(std::vector<StoredMessage>)> done) {
  // The store runs jobs in order: the fetch sees the rows and deletions queued before it.
  flush_mailbox();
  store_->fetch_offline(std::move(user), after_seq, before_seq, wire::kMaxOfflineBatch, std::move(done));
}

void Server::schedule_mailbox() {
  Mailbox& mailbox = registry_.mailbox();
  if (mailbox.has_batch() && !mailbox_flush_posted_) {
    mailbox_flush_posted_ = true;
    // At the end of this loop pass: one store job (one transaction) for everything queued in it.
    asio::post(io_, [this] {
      mailbox_flush_posted_ = false;
      flush_mailbox();
    });
  }
  if (grace_armed_ || stopping_) return;
  const auto deadline = mailbox.next_deadline_ms();
  if (!deadline) return;
  grace_armed_ = true;
  grace_timer_.expires_after(
      std::chrono::milliseconds(std::max<std::int64_t>(*deadline - now_ms(), 0) + kGraceSlackMs));
  grace_timer_.async_wait([this](std::error_code ec) {
    grace_armed_ = false;
    if (ec || stopping_) return;
    registry_.mailbox().expire(now_ms());
    schedule_mailbox();
  });
}

void Server::flush_mailbox() {
  Mailbox& mailbox = registry_.mailbox();
  if (!mailbox.has_batch()) return;
  auto batch = mailbox.take_batch();
  const std::size_t ops = batch.ops.size();
  store_queued(ops);
  store_->write(std::move(batch.ops), [this, ops, id = batch.id](bool ok) {
    store_committed(ops);
    apply(registry_.mailbox().committed(id, ok), 0);
  });
}

void Server::session_closed(SessionId session) {
  caps_.closed(session);
  sessions_.erase(session);
  session_closed_.notify();
}

}  // namespace parley::server
