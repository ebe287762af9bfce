// What each shell command does: server requests, direct links, and how their answers
// are shown.
#include <fmt/format.h>

#include <asio/co_spawn.hpp>

#include "peer/shell/app.hpp"
#include "shared/net/async.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/overloaded.hpp"

namespace parley::peer {
namespace {

std::string describe(const wire::RecipientResult& r) {
  switch (r.status) {
    case wire::Status::unknown_user:
      return fmt::format("unknown user '{}'", r.user);
    case wire::Status::yourself:
      return "you cannot message yourself";
    case wire::Status::blocked:
      return fmt::format("{} has blocked you; message not delivered", r.user);
    case wire::Status::internal:
      return fmt::format("{}: the server could not store the message; try again", r.user);
    default:
      return fmt::format("{}: {}", r.user, wire::to_string(r.status));
  }
}

// Commands that cannot work without the registry.
bool needs_server(const Command& command) {
  return !std::holds_alternative<cmd::Private>(command) &&
         !std::holds_alternative<cmd::StopPrivate>(command) && !std::holds_alternative<cmd::Reply>(command) &&
         !std::holds_alternative<cmd::Logout>(command) && !std::holds_alternative<cmd::Help>(command) &&
         !std::holds_alternative<cmd::Downloads>(command);
}

}  // namespace

// Sends `message` (a named object: g++ 12 mishandles temporaries in co_await) and
// waits for the reply; reports a missing reply as an error of `command`.
asio::awaitable<std::optional<wire::Message>> App::request(const std::string& command,
                                                           const wire::Message& message) {
  auto reply = co_await client_.call(message);
  if (!reply && !finished_) output_.error(command, "no reply from the server");
  co_return reply;
}

// Answers any request can get back instead of its own reply type.
bool App::handle_generic(const std::string& command, const wire::Message& reply) {
  if (auto* r = std::get_if<wire::Result>(&reply)) {
    if (r->status == wire::Status::ok)
      output_.info(r->message);
    else
      output_.error(command, r->message);
    return true;
  }
  return false;
}

asio::awaitable<void> App::send_message(const std::string& command, const std::vector<std::string>& to,
                                        const std::string& text) {
  const wire::Message message = wire::SendMessage{0, random_id(), to, text};
  auto reply = co_await request(command, message);
  if (!reply || handle_generic(command, *reply)) co_return;
  if (auto* sent = std::get_if<wire::SendResult>(&*reply)) {
    for (const auto& r : sent->recipients) {
      if (r.status == wire::Status::ok)
        output_.info(fmt::format("message delivered to {}", r.user),
                     {{"user", r.user}, {"status", "delivered"}});
      else if (r.status == wire::Status::stored_offline)
        output_.info(fmt::format("{} is offline: message stored for delivery at their next login", r.user),
                     {{"user", r.user}, {"status", "stored"}});
      else
        output_.error(command, describe(r));
    }
  }
}

asio::awaitable<void> App::send_private(const std::string& command, const std::string& user,
                                        const std::string& text) {
  if (user == user_) {
    output_.error(command, "you cannot send yourself a private message");
    co_return;
  }
  if (!links_->has(user)) {
    output_.error(command,
                  fmt::format("no private link with {} (open one with: startprivate {})", user, user));
    co_return;
  }
  if (auto error = co_await links_->send_private(user, text); !error.empty()) {
    output_.error(command, error);
    co_return;
  }
  output_.info(fmt::format("private message delivered to {}", user),
               {{"user", user}, {"status", "delivered"}});
}

asio::awaitable<void> App::start_private(const std::string& user) {
  const std::string command = "startprivate";
  if (user == user_) {
    output_.error(command, "you cannot open a private link with yourself");
    co_return;
  }
  if (links_->has(user)) {
    output_.error(command, fmt::format("a private link with {} is already open", user));
    co_return;
  }
  const wire::Message message = wire::StartPrivate{0, user};
  auto reply = co_await request(command, message);
  if (!reply || handle_generic(command, *reply)) co_return;
  auto* offer = std::get_if<wire::LinkOffer>(&*reply);
  if (!offer) co_return;
  if (offer->status != wire::Status::ok) {
    output_.error(command, offer->message);
    co_return;
  }
  // The link reports itself open (Output::link) through LinkManager's events.
  if (auto error = co_await links_->dial(*offer); !error.empty()) output_.error(command, error);
}

asio::awaitable<void> App::execute(const Command& command) {
  const std::string name(command_name(command));
  if (needs_server(command) && !server_up_) {
    output_.error(name, "the server is unreachable (reconnecting in the background)");
    co_return;
  }

  // Named, not a temporary inside co_await: g++ 12 would destroy it twice.
  auto run = Overloaded{
      [&](const cmd::Message& c) -> asio::awaitable<void> { co_await send_message(name, c.to, c.text); },
      [&](const cmd::Broadcast& c) -> asio::awaitable<void> {
        const wire::Message message = wire::Broadcast{0, random_id(), c.text};
        auto reply = co_await request(name, message);
        if (!reply || handle_generic(name, *reply)) co_return;
        if (auto* sent = std::get_if<wire::BroadcastResult>(&*reply)) {
          output_.info(
              fmt::format("broadcast sent to {} user{}", sent->delivered, sent->delivered == 1 ? "" : "s"),
              {{"delivered", sent->delivered}});
          if (sent->some_skipped)
            output_.info("some online users did not receive your broadcast", {{"warning", true}});
        }
      },
      [&](const cmd::WhoElse&) -> asio::awaitable<void> {
        const wire::Message message = wire::WhoElse{};
        auto reply = co_await request(name, message);
        if (!reply || handle_generic(name, *reply)) co_return;
        if (auto* list = std::get_if<wire::UserList>(&*reply)) {
          online_.insert(list->users.begin(), list->users.end());
          output_.users(name, list->users);
        }
      },
      [&](const cmd::Users&) -> asio::awaitable<void> {
        const wire::Message message = wire::WhoElse{};
        auto reply = co_await request(name, message);
        if (!reply || handle_generic(name, *reply)) co_return;
        if (auto* list = std::get_if<wire::UserList>(&*reply)) {
          online_.clear();
          online_.insert(list->users.begin(), list->users.end());
          std::vector<std::string> everyone = list->users;
          everyone.push_back(user_);
          std::sort(everyone.begin(), everyone.end());
          output_.users(name, everyone);
        }
      },
      [&](const cmd::Ping&) -> asio::awaitable<void> {
        const wire::Message message = wire::Ping{};
        const auto sent = std::chrono::steady_clock::now();
        auto reply = co_await request(name, message);
        if (!reply || !std::holds_alternative<wire::Pong>(*reply)) co_return;
        output_.pong(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
      },
      [&](const cmd::WhoElseSince& c) -> asio::awaitable<void> {
        const wire::Message message = wire::WhoElseSince{0, c.seconds};
        auto reply = co_await request(name, message);
        if (!reply || handle_generic(name, *reply)) co_return;
        if (auto* list = std::get_if<wire::UserList>(&*reply)) output_.users(name, list->users);
      },
      [&](const cmd::Block& c) -> asio::awaitable<void> {
        const wire::Message message = wire::Block{0, c.user};
        auto reply = co_await request(name, message);
        if (!reply || !handle_generic(name, *reply)) co_return;
        const auto& result = std::get<wire::Result>(*reply);
        // Blocking someone ends any private link with them (they are not told why),
        // and any dial of theirs that was announced but has not arrived yet.
        if (result.status == wire::Status::ok) {
          links_->forget(c.user);
          links_->close_user(c.user, fmt::format("closed by {}", user_),
                             fmt::format("you blocked {}", c.user));
        }
      },
      [&](const cmd::Unblock& c) -> asio::awaitable<void> {
        const wire::Message message = wire::Unblock{0, c.user};
        if (auto reply = co_await request(name, message)) handle_generic(name, *reply);
      },
      [&](const cmd::StartPrivate& c) -> asio::awaitable<void> { co_await start_private(c.user); },
      [&](const cmd::Private& c) -> asio::awaitable<void> { co_await send_private(name, c.user, c.text); },
      [&](const cmd::StopPrivate& c) -> asio::awaitable<void> {
        if (c.user == user_) {
          output_.error(name, "you cannot have a private link with yourself");
        } else if (!links_->has(c.user)) {
          output_.error(name, fmt::format("no private link with {}", c.user));
        } else {
          links_->close(c.user, fmt::format("closed by {}", user_), "closed by you");
        }
        co_return;
      },
      [&](const cmd::Reply& c) -> asio::awaitable<void> {
        if (last_sender_.empty()) {
          output_.error(name, "nobody has sent you a message yet");
        } else if (links_->has(last_sender_)) {
          co_await send_private(name, last_sender_, c.text);
        } else if (!server_up_) {
          output_.error(name,
                        fmt::format("no private link with {}, and the server is unreachable", last_sender_));
        } else {
          const std::vector<std::string> to{last_sender_};
          co_await send_message(name, to, c.text);
        }
      },
      [&](const cmd::Register& c) -> asio::awaitable<void> { co_await register_file(c); },
      [&](const cmd::SearchFile& c) -> asio::awaitable<void> {
        auto info = co_await find_file(name, c.file);
        if (!info) co_return;
        std::vector<std::string> users;
        for (const auto& h : info->holders) users.push_back(h.user);
        output_.file_search(c.file, users);
      },
      [&](const cmd::SearchChunk& c) -> asio::awaitable<void> {
        if (auto info = co_await find_file(name, c.file)) search_chunks(c, *info);
      },
      [&](const cmd::Download& c) -> asio::awaitable<void> {
        start_download(c);  // runs in the background: the shell stays usable
        co_return;
      },
      [&](const cmd::Downloads&) -> asio::awaitable<void> {
        list_downloads();
        co_return;
      },
      [&](const cmd::Logout&) -> asio::awaitable<void> {
        co_await links_->close_all(fmt::format("{} logged out", user_), "you logged out");
        if (server_up_) {
          client_.send(wire::Logout{});
          // The server answers with LoggedOut, which ends the program.
          asio::steady_timer wait(io_, std::chrono::seconds(5));
          co_await wait.async_wait(net::use_nothrow);
        }
        if (!finished_) {
          output_.logout("logged out");
          finish(0);
        }
      },
      [&](const cmd::Help& c) -> asio::awaitable<void> {
        output_.help(c.topic.empty() ? help_text() : usage(c.topic));
        co_return;
      },
      // Bridge until the engine's handlers land: the parser knows these commands already.
      [&](const auto&) -> asio::awaitable<void> {
        output_.error(name, "not available in this build yet");
        co_return;
      },
  };
  co_await std::visit(run, command);
}

}  // namespace parley::peer
