// The engine's life cycle: logging in, what the registry pushes, presence, the direct
// links' events, and leaving.
#include "peer/engine/engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "peer/engine/action.hpp"
#include "peer/wording.hpp"
#include "shared/net/async.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/util/time.hpp"

namespace parley::peer {

Engine::Engine(asio::io_context& io, PeerConfig config)
    : io_(io),
      config_(std::move(config)),
      identity_(net::load_or_create_identity(config_.data_dir, "identity", "parley-peer")),
      session_(io.get_executor(), config_,
               {.on_event = [this](wire::Message&& m) { on_event(std::move(m)); },
                .endpoint = [this](const std::string& local) { return endpoint(local); },
                .on_lost =
                    [this](const std::string& reason) {
                      emit(ev::Server{false, reason});
                    },
                .on_back = [this] { on_server_up(true); },
                .on_give_up =
                    [this](const std::string& reason) {
                      error("login", fmt::format("cannot log in again: {}", reason));
                    }}),
      settle_timer_(io) {
  links_ = std::make_unique<LinkManager>(io.get_executor(), identity_, link_events());
  transfers_ = std::make_unique<Transfers>(io.get_executor(), config_, *links_, session_,
                                           [this](Event e) { emit(std::move(e)); });
}

Engine::~Engine() { *alive_ = false; }

void Engine::emit(Event event) {
  for (auto& listener : listeners_) listener(event);
}

LinkManager::Events Engine::link_events() {
  return {
      .on_open =
          [this](const std::string& user, wire::LinkPurpose purpose, bool dialed_by_me) {
            // Transfer links are plumbing: downloads report on themselves.
            if (purpose != wire::LinkPurpose::chat) return;
            emit(ev::Link{
                user, true,
                dialed_by_me ? "opened by you" : fmt::format("{} opened a private link with you", user),
                links_->peer_fingerprint(user), wire::to_string(links_->path(user))});
          },
      .on_closed =
          [this](const std::string& user, wire::LinkPurpose purpose, const std::string& reason) {
            if (purpose == wire::LinkPurpose::chat)
              emit(ev::Link{user, false, reason, {}});
            else
              transfers_->on_transfer_closed(user);
          },
      .on_private =
          [this](const std::string& user, const wire::PrivateText& text) {
            if (!first_showing(user, text.msg_id)) return;
            last_partner_ = user;
            ev::Private event{user, session_.user(), text, false, false};
            event.action = strip_action(event.message.text);
            const auto& t = event.message;
            record_received("private", t.msg_id, user, {session_.user()}, t.text, event.action, t.sent_ms);
            emit(std::move(event));
          },
      .on_transfer = [this](
                         const std::string& user,
                         wire::LinkMessage&& message) { transfers_->on_transfer(user, std::move(message)); },
      .on_piece = [this](const std::string& user,
                         const wire::PieceView& piece) { transfers_->on_piece(user, piece); },
  };
}

// The direct-link listener starts with the first connection: its default address is
// the one the server is reached from.
wire::LinkEndpoint Engine::endpoint(const std::string& local_address) {
  if (endpoint_.port == 0) {
    std::string bind = config_.p2p_bind.empty() ? local_address : config_.p2p_bind;
    endpoint_.port = links_->listen(bind, config_.p2p_port);
    endpoint_.host = config_.advertise.empty() ? bind : config_.advertise;
    endpoint_.fingerprint = links_->fingerprint();
  }
  return endpoint_;
}

// What the server pushes during an attempt is held until LoggedIn is shown; an attempt
// that fails drops it (it spoke for a connection that is gone).
asio::awaitable<RegistrySession::LoginOutcome> Engine::log_in(const std::string& user,
                                                              const std::string& password, bool sign_up) {
  holding_ = true;
  held_.clear();
  RegistrySession::LoginOutcome outcome;
  try {
    outcome = co_await session_.log_in(user, password, sign_up);
  } catch (const std::system_error& e) {
    outcome.status = wire::Status::bad_request;
    outcome.message = fmt::format("cannot listen for direct links: {}", e.what());
  }
  if (!outcome.ok()) {
    holding_ = false;
    held_.clear();
  }
  co_return outcome;
}

void Engine::start() {
  started_ = true;
  links_->set_user(session_.user());
  open_store();
  show_logged_in();
  on_server_up(false);
}

void Engine::show_logged_in() {
  emit(ev::LoggedIn{session_.user(), fmt::format("{}:{}", endpoint_.host, endpoint_.port),
                    endpoint_.fingerprint});
  holding_ = false;
  for (auto& message : std::exchange(held_, {})) on_event(std::move(message));
}

// After every login: what this peer holds (the server forgot it), who is online, and
// whom we blocked (perhaps from another session or device).
void Engine::on_server_up(bool again) {
  if (again) emit(ev::Server{true, "logged in again"});
  asio::co_spawn(io_, transfers_->announce_holdings(), net::LogExceptions{"announce holdings"});
  asio::co_spawn(io_, flush_outbox(), net::LogExceptions{"outbox"});
  asio::co_spawn(io_, learn_who_is_online(again), net::LogExceptions{"who is online"});
  asio::co_spawn(io_, learn_blocked(), net::LogExceptions{"block list"});
}

asio::awaitable<void> Engine::learn_who_is_online(bool again) {
  const wire::Message who = wire::WhoElse{};
  presence_.asking();
  auto reply = co_await session_.client().call(who);
  auto* list = reply ? std::get_if<wire::UserList>(&*reply) : nullptr;
  if (!list) co_return;
  if (!again) {
    presence_.reset(list->users);
    co_return;
  }
  for (const auto& change : presence_.back(list->users, PresenceTracker::Clock::now()))
    emit(ev::Presence{wire::PresenceEvent{change.user, change.online, now_ms()}});
  co_await settle_presence();
}

// Peers of a restarted server come back over several seconds, unannounced: then ask who
// is back, and who is not has left.
asio::awaitable<void> Engine::settle_presence() {
  settle_timer_.expires_at(presence_.settle_deadline());
  auto [ec] = co_await settle_timer_.async_wait(net::use_nothrow);
  if (ec || finished_ || !session_.up()) co_return;
  const wire::Message who = wire::WhoElse{};
  presence_.asking();
  auto reply = co_await session_.client().call(who);
  auto* list = reply ? std::get_if<wire::UserList>(&*reply) : nullptr;
  if (!list || finished_) co_return;  // the server went away again: the next return settles
  for (const auto& change : presence_.refresh(list->users))
    emit(ev::Presence{wire::PresenceEvent{change.user, change.online, now_ms()}});
  for (const auto& change : presence_.settle(PresenceTracker::Clock::now()))
    emit(ev::Presence{wire::PresenceEvent{change.user, change.online, now_ms()}});
}

std::vector<std::string> Engine::online_users() const {
  return {presence_.online().begin(), presence_.online().end()};
}

void Engine::on_event(wire::Message&& message) {
  // The server dials our listener right after saying this: not held with the rest.
  if (auto* probe = std::get_if<wire::ReachProbe>(&message)) return links_->expect_probe(probe->token);
  if (holding_) {
    held_.push_back(std::move(message));
    return;
  }
  std::visit(Overloaded{
                 [&](wire::ChatEvent& m) { on_chat(std::move(m)); },
                 [&](wire::BroadcastEvent& m) {
                   ev::Broadcast event{std::move(m), false};
                   event.action = strip_action(event.message.text);
                   const auto& b = event.message;
                   record_received("broadcast", b.msg_id, b.from, {}, b.text, event.action, b.sent_ms);
                   emit(std::move(event));
                 },
                 [&](wire::PresenceEvent& m) {
                   if (presence_.on_event(m.user, m.online, PresenceTracker::Clock::now()))
                     emit(ev::Presence{std::move(m)});
                 },
                 [&](wire::LinkRequest& m) {
                   // A reverse link is ours to dial: there is no dial to expect.
                   bool ready = m.path == wire::LinkPath::reverse || links_->expect(m);
                   session_.client().send(
                       wire::LinkAnswer{m.token, ready, ready ? "" : "too many links being set up"});
                   if (ready && m.path != wire::LinkPath::direct)
                     asio::co_spawn(io_, answer_link(std::move(m)), net::LogExceptions{"link answer"});
                 },
                 [&](wire::Reachability& m) {
                   emit(ev::Notice{wording::reachability(m, !config_.advertise.empty()),
                                   {{"reachable", m.reachable}, {"address", m.address}}});
                 },
                 [&](wire::LoggedOut& m) {
                   if (m.temporary)  // the server is going away, not our session: wait for it
                     session_.connection_lost(m.reason);
                   else
                     on_session_ended(m);
                 },
                 [&](wire::Receipt& m) { on_receipt(m); },
                 [&](wire::IdleWarning& m) { emit(ev::IdleWarning{m.seconds_left}); },
                 [&](wire::ProtocolError& m) { error("server", m.message); },
                 [&](wire::Announcement& m) {
                   record_received("announcement", {}, {}, {}, m.text, false, m.sent_ms);
                   emit(ev::Announcement{m.text, m.sent_ms});
                 },
                 [&](auto& other) { spdlog::debug("ignoring unexpected {}", wire::type_name(other)); },
             },
             message);
}

// The server routed a link from request.from the other way round or through the relay.
asio::awaitable<void> Engine::answer_link(wire::LinkRequest request) {
  const auto why = co_await links_->answer(request);
  if (!why.empty())
    error("link", fmt::format("{} link with {} ({}): {}", wire::to_string(request.purpose), request.from,
                              wire::to_string(request.path), why));
}

// A server message to us: shown once it is on disk, then acknowledged (again, if the
// server redelivers one it did not see acknowledged). A peer killed at any moment has
// either shown, kept and marked it seen, or none of these (the server redelivers it).
void Engine::on_chat(wire::ChatEvent&& m) {
  const auto seq = m.seq;
  const Arrival arrival = on_arrival(!first_showing(m.from, m.msg_id), seq);
  if (!arrival.show) {
    // Shown before, but perhaps not on disk yet: acknowledged behind the writes queued so far.
    if (arrival.acknowledge)
      store_->after_writes([this, alive = alive_, seq](bool ok) {
        if (*alive && ok) acknowledge(seq);
      });
    return;
  }
  last_partner_ = m.from;
  auto event = std::make_shared<ev::Chat>(ev::Chat{std::move(m), false});
  event->action = strip_action(event->message.text);
  const auto& c = event->message;
  record_received(
      "message", c.msg_id, c.from, c.to.empty() ? std::vector<std::string>{session_.user()} : c.to, c.text,
      event->action, c.sent_ms,
      [this, alive = alive_, event, seq, acknowledge_it = arrival.acknowledge](bool ok) {
        if (!*alive) return;
        emit(std::move(*event));  // shown even if the disk failed (logged), never acknowledged then
        if (ok && acknowledge_it) acknowledge(seq);
      });
}

// Logged out by the server (inactivity, the operator): the program stays, links stay
// open, and `login` (or Enter) logs back in with the password given at start.
void Engine::on_session_ended(const wire::LoggedOut& logged_out) {
  session_.ended();
  if (logging_out_) return;  // our own logout: handled there
  emit(ev::LoggedOut{logged_out.reason, session_.has_password()});
}

void Engine::acknowledge(std::int64_t seq) {
  // Messages arrive in bursts and their writes commit together: one flush per loop pass.
  if (!acks_.add(seq)) return;
  asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    for (const auto& frame : acks_.take()) session_.client().send(frame);
  });
}

void Engine::touch() {
  if (session_.up()) {
    session_.client().send(wire::Ping{});  // any command resets the server's idle clock
  } else if (!session_.retrying() && !relogging_ && started_ && !finished_) {
    asio::co_spawn(io_, log_back_in(), net::LogExceptions{"login"});
  }
}

asio::awaitable<void> Engine::log_back_in() {
  const cmd::Login login;
  co_await handle(login);
}

asio::awaitable<void> Engine::shut_down(int exit_code) {
  if (finished_ || logging_out_) co_return;
  logging_out_ = true;
  const std::string for_them = fmt::format("{} logged out", session_.user()), for_us = "you logged out";
  co_await links_->close_all(for_them, for_us);
  if (session_.up()) {
    session_.client().send(wire::Logout{});
    // The server answers with LoggedOut; the connection closes after it.
    co_await session_.wait_closed(std::chrono::seconds(5));
  }
  emit(ev::LoggedOut{"logged out", false});
  finish(exit_code);
}

void Engine::finish(int exit_code) {
  if (finished_) return;
  finished_ = true;
  settle_timer_.cancel();
  session_.stop();
  if (on_finished_) on_finished_(exit_code);
}

}  // namespace parley::peer
