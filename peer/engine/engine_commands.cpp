// One handler per command: what it asks of the registry or the direct links, and the
// events its answers become.
#include <fmt/format.h>

#include <algorithm>
#include <asio/co_spawn.hpp>

#include "peer/engine/action.hpp"
#include "peer/engine/engine.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/time.hpp"

namespace parley::peer {
namespace {

// Commands that work without the registry: direct links, local state, leaving.
template <class C>
constexpr bool kWorksOffline =
    std::is_same_v<C, cmd::Private> || std::is_same_v<C, cmd::StopPrivate> || std::is_same_v<C, cmd::Reply> ||
    std::is_same_v<C, cmd::Me> || std::is_same_v<C, cmd::Logout> || std::is_same_v<C, cmd::Help> ||
    std::is_same_v<C, cmd::Downloads> || std::is_same_v<C, cmd::Uploads> || std::is_same_v<C, cmd::Wait> ||
    std::is_same_v<C, cmd::Reconnect> || std::is_same_v<C, cmd::Login> ||
    std::is_same_v<C, cmd::Fingerprint> || std::is_same_v<C, cmd::History> ||
    std::is_same_v<C, cmd::Message>;  // a message waits in the outbox

}  // namespace

asio::awaitable<bool> Engine::execute(const Command& command) {
  if (finished_) co_return false;
  co_return co_await dispatch(command);
}

asio::awaitable<bool> Engine::dispatch(const Command& command) {
  // Named, not a temporary inside co_await: g++ 12 would destroy it twice.
  auto run = [this](const auto& c) -> asio::awaitable<bool> {
    using C = std::decay_t<decltype(c)>;
    if constexpr (!kWorksOffline<C>) {
      if (!session_.up()) {
        error(std::string(command_name(Command{c})),
              session_.retrying() ? "the server is unreachable (reconnecting in the background; reconnect "
                                    "retries now)"
                                  : "you are logged out (login logs you back in)");
        co_return false;
      }
    }
    co_return co_await handle(c);
  };
  co_return co_await std::visit(run, command);
}

// Sends `message` (a named object: g++ 12 mishandles temporaries in co_await) and
// waits for the reply; reports a missing reply as an error of `command`.
asio::awaitable<std::optional<wire::Message>> Engine::request(std::string_view command,
                                                              const wire::Message& message) {
  auto reply = co_await session_.client().call(message);
  if (!reply && !finished_) error(command, "no reply from the server");
  co_return reply;
}

// Answers any request can get back instead of its own reply type.
bool Engine::generic_reply(std::string_view command, const wire::Message& reply) {
  auto* r = std::get_if<wire::Result>(&reply);
  if (!r) return false;
  if (r->status == wire::Status::ok)
    emit(ev::Notice{r->message, {}});
  else
    error(command, r->message);
  return true;
}

asio::awaitable<bool> Engine::send_private(std::string_view command, const std::string& user,
                                           const std::string& text) {
  if (user == session_.user()) {
    error(command, "you cannot send yourself a private message");
    co_return false;
  }
  if (!links_->has(user)) {
    error(command, fmt::format("no private link with {} (open one with: startprivate {})", user, user));
    co_return false;
  }
  const auto sent_ms = now_ms();
  const std::string id = random_id();
  const auto why = co_await links_->send_private(user, text, id);
  if (!why.empty()) co_return co_await not_delivered_directly(command, user, text, id, why);
  last_partner_ = user;
  ev::Private event{session_.user(), user, wire::PrivateText{{}, text, sent_ms}, true, false};
  event.action = strip_action(event.message.text);
  record({0,
          {},
          "private",
          session_.user(),
          {user},
          event.message.text,
          event.action,
          true,
          sent_ms,
          "delivered",
          {}});
  emit(std::move(event));
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Message& c) {
  const std::string id = random_id();
  co_return co_await send_message("message", c.to, c.text, id);
}

// The other peer did not acknowledge it before the link timed out or closed: say so, and
// offer (or with --fallback, take) the server, with the same id, so a copy that did
// arrive is not shown twice.
asio::awaitable<bool> Engine::not_delivered_directly(std::string_view command, const std::string& user,
                                                     const std::string& text, const std::string& id,
                                                     const std::string& why) {
  record({0, id, "private", session_.user(), {user}, text, false, true, now_ms(), "not_delivered", {}});
  if (!config_.fallback) {
    error(command,
          fmt::format("not delivered: {}; to send it through the server: message {} {}", why, user, text));
    co_return false;
  }
  emit(ev::Notice{fmt::format("not delivered directly ({}): sending it through the server", why),
                  {{"user", user}, {"fallback", true}}});
  const std::vector<std::string> to{user};
  co_return co_await send_message(command, to, text, id);
}

asio::awaitable<bool> Engine::handle(const cmd::Broadcast& c) {
  const std::string id = random_id();
  const wire::Message message = wire::Broadcast{0, id, c.text};
  auto reply = co_await request("broadcast", message);
  if (!reply || generic_reply("broadcast", *reply)) co_return false;
  auto* sent = std::get_if<wire::BroadcastResult>(&*reply);
  if (!sent) co_return false;
  ev::BroadcastSent event{id, c.text, false, sent->delivered, sent->some_skipped};
  event.action = strip_action(event.text);
  emit(std::move(event));
  co_return true;
}

asio::awaitable<bool> Engine::send_users(std::string_view command, bool include_me) {
  const wire::Message message = wire::WhoElse{};
  auto reply = co_await request(command, message);
  if (!reply || generic_reply(command, *reply)) co_return false;
  auto* list = std::get_if<wire::UserList>(&*reply);
  if (!list) co_return false;
  std::vector<std::string> names = list->users;
  if (include_me) names.push_back(session_.user());
  std::sort(names.begin(), names.end());
  ev::Users event{std::string(command), {}};
  for (auto& name : names) event.users.push_back({std::move(name), 0});
  emit(std::move(event));
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::WhoElse&) { return send_users("whoelse", false); }
asio::awaitable<bool> Engine::handle(const cmd::Users&) { return send_users("users", true); }

asio::awaitable<bool> Engine::handle(const cmd::WhoElseSince& c) {
  const wire::Message message = wire::WhoElseSince{0, c.seconds};
  auto reply = co_await request("whoelsesince", message);
  if (!reply || generic_reply("whoelsesince", *reply)) co_return false;
  auto* list = std::get_if<wire::UserList>(&*reply);
  if (!list) co_return false;
  ev::Users event{"whoelsesince", {}};
  for (std::size_t i = 0; i < list->users.size(); ++i)
    event.users.push_back({list->users[i], i < list->last_seen_ms.size() ? list->last_seen_ms[i] : 0});
  emit(std::move(event));
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Ping&) {
  const wire::Message message = wire::Ping{};
  const auto sent = std::chrono::steady_clock::now();
  auto reply = co_await request("ping", message);
  if (!reply || !std::holds_alternative<wire::Pong>(*reply)) co_return false;
  emit(ev::Pong{std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count()});
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Block& c) {
  const wire::Message message = wire::Block{0, c.user};
  auto reply = co_await request("block", message);
  if (!reply || !generic_reply("block", *reply)) co_return false;
  const auto status = std::get<wire::Result>(*reply).status;
  if (status == wire::Status::ok || status == wire::Status::already_blocked) note_block(c.user, true);
  if (status != wire::Status::ok) co_return false;
  // Blocking someone ends any private link with them (they are not told why), and any
  // dial of theirs that was announced but has not arrived yet.
  links_->forget(c.user);
  links_->close_user(c.user, fmt::format("closed by {}", session_.user()),
                     fmt::format("you blocked {}", c.user));
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Unblock& c) {
  const wire::Message message = wire::Unblock{0, c.user};
  auto reply = co_await request("unblock", message);
  if (!reply || !generic_reply("unblock", *reply)) co_return false;
  const auto status = std::get<wire::Result>(*reply).status;
  if (status == wire::Status::ok || status == wire::Status::not_blocked) note_block(c.user, false);
  co_return status == wire::Status::ok;
}

asio::awaitable<bool> Engine::handle(const cmd::StartPrivate& c) {
  const std::string command = "startprivate";
  if (c.user == session_.user()) {
    error(command, "you cannot open a private link with yourself");
    co_return false;
  }
  if (links_->has(c.user)) {
    error(command, fmt::format("a private link with {} is already open", c.user));
    co_return false;
  }
  const wire::Message message = wire::StartPrivate{0, c.user};
  auto reply = co_await request(command, message);
  if (!reply || generic_reply(command, *reply)) co_return false;
  auto* offer = std::get_if<wire::LinkOffer>(&*reply);
  if (!offer) co_return false;
  if (offer->status != wire::Status::ok) {
    error(command, offer->message);
    co_return false;
  }
  // The link reports itself open (ev::Link) through the link manager's events.
  const wire::LinkOffer named = *offer;
  const auto why = co_await links_->dial(named);
  if (!why.empty()) {
    error(command, why);
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Private& c) {
  return send_private("private", c.user, c.text);
}

asio::awaitable<bool> Engine::handle(const cmd::StopPrivate& c) {
  if (c.user == session_.user()) {
    error("stopprivate", "you cannot have a private link with yourself");
    co_return false;
  }
  if (!links_->has(c.user)) {
    error("stopprivate", fmt::format("no private link with {}", c.user));
    co_return false;
  }
  links_->close(c.user, fmt::format("closed by {}", session_.user()), "closed by you");
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Reply& c) {
  if (last_partner_.empty()) {
    error("reply", "nobody has sent you a message yet");
    co_return false;
  }
  co_return co_await to_partner("reply", c.text);
}

// An action goes where `reply` would: the last person you talked with.
asio::awaitable<bool> Engine::handle(const cmd::Me& c) {
  if (last_partner_.empty()) {
    error("me", "nobody to act to yet: use message <user> /me <action>, or broadcast /me <action>");
    co_return false;
  }
  const std::string action = as_action(c.text);
  co_return co_await to_partner("me", action);
}

// Over the direct link with the last partner if one is open, else through the server.
asio::awaitable<bool> Engine::to_partner(std::string_view command, const std::string& text) {
  const std::string to = last_partner_;
  if (links_->has(to)) co_return co_await send_private(command, to, text);
  const std::vector<std::string> recipients{to};
  const std::string id = random_id();
  co_return co_await send_message(command, recipients, text, id);
}

asio::awaitable<bool> Engine::handle(const cmd::Downloads&) {
  transfers_->list_downloads();
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Uploads&) {
  transfers_->list_uploads();
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Wait&) {
  co_await transfers_->wait_all();
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Reconnect&) {
  if (session_.up()) {
    error("reconnect", "you are connected to the server");
    co_return false;
  }
  if (!session_.retrying()) {
    const cmd::Login login;
    co_return co_await handle(login);
  }
  session_.retry_now();
  emit(ev::Notice{"retrying the server now", {}});
  co_return true;
}

// After an idle logout or a kick: the same account again, with the password given at start.
asio::awaitable<bool> Engine::handle(const cmd::Login&) {
  if (session_.up()) {
    error("login", fmt::format("you are logged in as {}", session_.user()));
    co_return false;
  }
  if (session_.retrying()) {
    session_.retry_now();
    emit(ev::Notice{"retrying the server now", {}});
    co_return true;
  }
  if (relogging_) co_return true;  // Enter pressed twice: one attempt is enough
  relogging_ = true;
  const std::string user = session_.user(), password = session_.password();
  auto outcome = co_await log_in(user, password, false);
  relogging_ = false;
  if (!outcome.ok()) {
    error("login", outcome.message);
    co_return false;
  }
  show_logged_in();
  on_server_up(false);
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Fingerprint& c) {
  if (c.user.empty() || c.user == session_.user()) {
    emit(ev::Fingerprint{session_.user(), links_->fingerprint(), true});
    co_return true;
  }
  auto theirs = links_->peer_fingerprint(c.user);
  if (theirs.empty()) {
    error("fingerprint", fmt::format("no direct link with {}: open one with startprivate {} to see their "
                                     "certificate",
                                     c.user, c.user));
    co_return false;
  }
  emit(ev::Fingerprint{c.user, theirs, false});
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Logout&) {
  co_await shut_down(0);
  co_return true;
}

asio::awaitable<bool> Engine::handle(const cmd::Help& c) {
  emit(ev::Help{c.topic.empty() ? help_text() : usage(c.topic)});
  co_return true;
}

}  // namespace parley::peer
