#include "peer/shell/app.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <iostream>
#include <semaphore>
#include <thread>

#include "peer/known_servers.hpp"
#include "peer/shell/line_editor.hpp"
#include "shared/net/async.hpp"
#include "shared/util/hex.hpp"

namespace parley::peer {

// Reads script lines on a thread of its own (stdin may be a pipe, a file or a
// terminal; a blocking read works for all), one line per request so nothing is read
// ahead of the command that needs it.
struct ScriptReader {
  std::counting_semaphore<> wanted{0};
};

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

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

}  // namespace

App::App(asio::io_context& io, PeerConfig config)
    : io_(io),
      config_(std::move(config)),
      output_({.json = config_.json, .color = config_.color},
              [this](const std::string& line) { print(line); }),
      client_(io.get_executor(), {.on_event = [this](wire::Message&& m) { on_event(std::move(m)); },
                                  .on_close = [this](const std::string& reason) { on_link_closed(reason); }}),
      line_ready_(io, net::Clock::time_point::max()),
      signals_(io, SIGINT, SIGTERM, SIGHUP) {}

App::~App() = default;

void App::print(const std::string& line) {
  if (editor_) {
    editor_->print(line);
  } else {
    std::cout << line << std::endl;  // flushed: scripts see every line at once
  }
}

int App::run() {
  if (!config_.interactive) {
    script_ = std::make_shared<ScriptReader>();
    std::thread([script = script_, executor = io_.get_executor(), this] {
      for (;;) {
        script->wanted.acquire();
        std::string line;
        std::optional<std::string> item;
        if (std::getline(std::cin, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          item = std::move(line);
        }
        bool eof = !item;
        // `this` outlives the loop: run() returns only after io_ stopped, and a line posted
        // to a stopped io_context is never delivered.
        asio::post(executor, [this, item = std::move(item)]() mutable {
          typed_.push_back(std::move(item));
          line_ready_.cancel();
        });
        if (eof) return;
      }
    }).detach();
  }
  // Ctrl-C and friends end the program through the loop, so the terminal is restored;
  // the server sees the connection close and announces the logout.
  signals_.async_wait([this](std::error_code ec, int signal) {
    if (ec) return;
    output_.logout(fmt::format("interrupted by signal {}", signal));
    finish(128 + signal);
  });
  asio::co_spawn(io_, main_flow(), net::LogExceptions{"peer"});
  io_.run();
  if (editor_) editor_->stop();
  return exit_code_;
}

asio::awaitable<std::optional<std::string>> App::next_line(const std::string& prompt, bool secret) {
  if (config_.interactive && !editor_) {
    // Before the shell starts (login prompts) a plain blocking read is what we want.
    std::string line = secret ? LineEditor::read_password(prompt) : LineEditor::read_line(prompt);
    if (!std::cin) co_return std::nullopt;
    co_return line;
  }
  if (script_ && typed_.empty()) script_->wanted.release();
  while (typed_.empty()) {
    line_ready_.expires_at(net::Clock::time_point::max());
    co_await line_ready_.async_wait(net::use_nothrow);
    if (finished_) co_return std::nullopt;
  }
  auto line = std::move(typed_.front());
  typed_.pop_front();
  co_return line;
}

void App::finish(int exit_code) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = exit_code;
  if (editor_) editor_->stop();
  client_.close("peer exiting");
  line_ready_.cancel();
  io_.stop();
}

asio::awaitable<void> App::main_flow() {
  if (!co_await log_in()) co_return;
  logged_in_ = true;
  output_.login(user_);
  asio::co_spawn(io_, heartbeat_loop(), net::LogExceptions{"heartbeat"});

  // Seed the list of online users for completion.
  const wire::Message who = wire::WhoElse{};
  if (auto reply = co_await client_.call(who); reply && std::holds_alternative<wire::UserList>(*reply))
    for (auto& u : std::get<wire::UserList>(*reply).users) online_.insert(u);

  if (config_.interactive) {
    editor_ = std::make_unique<LineEditor>(
        io_.get_executor(), fmt::format("{}> ", user_), config_.data_dir / "history",
        LineEditor::Callbacks{
            .on_line =
                [this](std::string line) {
                  typed_.push_back(std::move(line));
                  line_ready_.cancel();
                },
            .on_eof =
                [this] {
                  typed_.push_back(std::nullopt);
                  line_ready_.cancel();
                },
            .complete = [this](const std::string& line, int word) { return complete(line, word); }});
    editor_->start();
  }

  while (!finished_) {
    auto line = co_await next_line("");
    if (finished_) co_return;
    if (!line) {  // end of input: leave cleanly
      const Command logout = cmd::Logout{};
      co_await execute(logout);
      co_return;
    }
    auto parsed = parse_command(*line);
    if (parsed.empty) continue;
    if (!parsed.command) {
      output_.error(parsed.error.command, parsed.error.message);
      continue;
    }
    co_await execute(*parsed.command);
  }
}

asio::awaitable<bool> App::log_in() {
  std::string user = config_.user;
  std::optional<std::string> password = config_.password;
  const std::string server = fmt::format("{}:{}", config_.host, config_.port);

  auto ask_user = [&]() -> asio::awaitable<bool> {
    auto line = co_await next_line("username: ");
    if (!line) co_return false;
    user = *line;
    co_return true;
  };
  auto ask_password = [&]() -> asio::awaitable<bool> {
    auto line = co_await next_line("password: ", true);
    if (!line) co_return false;
    password = *line;
    co_return true;
  };
  if (user.empty() && !co_await ask_user()) {
    output_.error("login", "no username given");
    finish(1);
    co_return false;
  }
  if (!password && !co_await ask_password()) {
    output_.error("login", "no password given");
    finish(1);
    co_return false;
  }

  std::string pin_message;
  auto check = [&](const std::string& fingerprint) -> std::string {
    try {
      auto pin = check_server_fingerprint(config_.data_dir / "known_servers", server, fingerprint,
                                          config_.server_fingerprint);
      if (!pin.accepted()) return pin.message;
      pin_message = pin.message;
      return {};
    } catch (const std::exception& e) {
      return e.what();
    }
  };
  if (auto error = co_await client_.connect(config_.host, config_.port, check); !error.empty()) {
    output_.error("connect", error);
    finish(1);
    co_return false;
  }
  if (!pin_message.empty()) output_.info(pin_message);

  for (;;) {
    const wire::Message login = wire::Login{0, user, *password};
    auto reply = co_await client_.call(login);
    if (!reply || !std::holds_alternative<wire::LoginResult>(*reply)) {
      output_.error("login", reply ? "unexpected answer from the server"
                                   : "connection to the server lost: " + client_.close_reason());
      finish(1);
      co_return false;
    }
    const auto& result = std::get<wire::LoginResult>(*reply);
    if (result.status == wire::Status::ok) {
      user_ = result.user;
      co_return true;
    }
    output_.error("login", result.message);
    // People at a terminal may try again; scripts fail fast with the error above.
    bool retry = config_.interactive && (result.status == wire::Status::wrong_password ||
                                         result.status == wire::Status::unknown_user);
    if (!retry) {
      finish(1);
      co_return false;
    }
    if (result.status == wire::Status::unknown_user && !co_await ask_user()) break;
    if (!co_await ask_password()) break;
  }
  finish(1);
  co_return false;
}

asio::awaitable<void> App::heartbeat_loop() {
  asio::steady_timer timer(io_);
  const auto interval = client_.heartbeat_interval();
  while (!finished_ && client_.is_open()) {
    timer.expires_after(interval);
    co_await timer.async_wait(net::use_nothrow);
    if (finished_ || !client_.is_open()) co_return;
    if (net::Clock::now() - client_.last_received() > 3 * interval) {
      client_.close("the server stopped answering");
      co_return;
    }
    client_.send(wire::Heartbeat{});
  }
}

asio::awaitable<void> App::execute(const Command& command) {
  const std::string name(command_name(command));
  // Requests are named locals below: g++ 12 mishandles temporaries in co_await expressions.
  auto call = [&](const wire::Message& request) -> asio::awaitable<std::optional<wire::Message>> {
    auto reply = co_await client_.call(request);
    if (!reply && !finished_) output_.error(name, "no reply from the server");
    co_return reply;
  };
  // Generic errors any request can get back.
  auto generic = [&](const wire::Message& reply) {
    if (auto* r = std::get_if<wire::Result>(&reply)) {
      if (r->status == wire::Status::ok)
        output_.info(r->message);
      else
        output_.error(name, r->message);
      return true;
    }
    return false;
  };

  co_await std::visit(
      Overloaded{
          [&](const cmd::Message& c) -> asio::awaitable<void> {
            const wire::Message request = wire::SendMessage{0, random_id(), c.to, c.text};
            auto reply = co_await call(request);
            if (!reply || generic(*reply)) co_return;
            if (auto* sent = std::get_if<wire::SendResult>(&*reply)) {
              for (const auto& r : sent->recipients) {
                if (r.status == wire::Status::ok)
                  output_.info(fmt::format("message delivered to {}", r.user),
                               {{"user", r.user}, {"status", "delivered"}});
                else if (r.status == wire::Status::stored_offline)
                  output_.info(
                      fmt::format("{} is offline: message stored for delivery at their next login", r.user),
                      {{"user", r.user}, {"status", "stored"}});
                else
                  output_.error(name, describe(r));
              }
            }
          },
          [&](const cmd::Broadcast& c) -> asio::awaitable<void> {
            const wire::Message request = wire::Broadcast{0, random_id(), c.text};
            auto reply = co_await call(request);
            if (!reply || generic(*reply)) co_return;
            if (auto* sent = std::get_if<wire::BroadcastResult>(&*reply)) {
              output_.info(fmt::format("broadcast sent to {} user{}", sent->delivered,
                                       sent->delivered == 1 ? "" : "s"),
                           {{"delivered", sent->delivered}});
              if (sent->some_skipped)
                output_.info("some online users did not receive your broadcast", {{"warning", true}});
            }
          },
          [&](const cmd::WhoElse&) -> asio::awaitable<void> {
            const wire::Message request = wire::WhoElse{};
            auto reply = co_await call(request);
            if (!reply || generic(*reply)) co_return;
            if (auto* list = std::get_if<wire::UserList>(&*reply)) {
              online_.insert(list->users.begin(), list->users.end());
              output_.users(name, list->users);
            }
          },
          [&](const cmd::WhoElseSince& c) -> asio::awaitable<void> {
            const wire::Message request = wire::WhoElseSince{0, c.seconds};
            auto reply = co_await call(request);
            if (!reply || generic(*reply)) co_return;
            if (auto* list = std::get_if<wire::UserList>(&*reply)) output_.users(name, list->users);
          },
          [&](const cmd::Block& c) -> asio::awaitable<void> {
            const wire::Message request = wire::Block{0, c.user};
            if (auto reply = co_await call(request)) generic(*reply);
          },
          [&](const cmd::Unblock& c) -> asio::awaitable<void> {
            const wire::Message request = wire::Unblock{0, c.user};
            if (auto reply = co_await call(request)) generic(*reply);
          },
          [&](const cmd::Logout&) -> asio::awaitable<void> {
            client_.send(wire::Logout{});
            // The server answers with LoggedOut and closes; both end the program.
            asio::steady_timer wait(io_, std::chrono::seconds(5));
            co_await wait.async_wait(net::use_nothrow);
            if (!finished_) {
              output_.logout("logged out");
              finish(0);
            }
          },
          [&](const cmd::Help& c) -> asio::awaitable<void> {
            output_.help(c.topic.empty() ? help_text() : usage(c.topic));
            co_return;
          },
      },
      command);
}

void App::on_event(wire::Message&& event) {
  std::visit(Overloaded{
                 [&](wire::ChatEvent& m) {
                   output_.chat(m);
                   if (m.seq != 0) acknowledge(m.seq);
                 },
                 [&](wire::BroadcastEvent& m) { output_.broadcast(m); },
                 [&](wire::PresenceEvent& m) {
                   if (m.online)
                     online_.insert(m.user);
                   else
                     online_.erase(m.user);
                   output_.presence(m);
                 },
                 [&](wire::LoggedOut& m) {
                   output_.logout(m.reason);
                   finish(0);
                 },
                 [&](wire::ProtocolError& m) { output_.error("server", m.message); },
                 [&](auto& other) { spdlog::debug("ignoring unexpected {}", wire::type_name(other)); },
             },
             event);
}

void App::acknowledge(std::int64_t seq) {
  // Offline messages arrive in a burst: acknowledge them together, after they are shown.
  if (acks_.empty()) {
    asio::post(io_, [this] {
      client_.send(wire::AckOffline{std::move(acks_)});
      acks_.clear();
    });
  }
  acks_.push_back(seq);
}

void App::on_link_closed(const std::string& reason) {
  // Before login, connect() and the login loop report failures themselves.
  if (finished_ || !logged_in_) return;
  output_.logout("connection to the server lost: " + reason);
  finish(1);
}

std::vector<std::string> App::complete(const std::string& line, int word_index) const {
  std::vector<std::string> out;
  if (word_index == 0) {
    bool slash = !line.empty() && line.front() == '/';
    for (const auto& name : command_names()) out.push_back(slash ? "/" + name : name);
  } else {
    out.assign(online_.begin(), online_.end());
  }
  return out;
}

}  // namespace parley::peer
