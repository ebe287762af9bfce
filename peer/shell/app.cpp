#include "peer/shell/app.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <iostream>
#include <random>
#include <semaphore>
#include <thread>
#include <utility>

#include "peer/known_servers.hpp"
#include "peer/shell/line_editor.hpp"
#include "shared/net/async.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {

// Reads script lines on a thread of its own (stdin may be a pipe, a file or a
// terminal; a blocking read works for all), one line per request so nothing is read
// ahead of the command that needs it.
struct ScriptReader {
  std::counting_semaphore<> wanted{0};
};

namespace {

constexpr auto kMaxReconnectDelay = std::chrono::seconds(30);

}  // namespace

App::App(asio::io_context& io, PeerConfig config)
    : io_(io),
      config_(std::move(config)),
      output_({.json = config_.json, .color = config_.color},
              [this](const std::string& line) { print(line); }),
      identity_(net::load_or_create_identity(config_.data_dir, "identity", "parley-peer")),
      client_(io.get_executor(), {.on_event = [this](wire::Message&& m) { on_event(std::move(m)); },
                                  .on_close = [this](const std::string& reason) { on_link_closed(reason); }}),
      catalog_(config_.data_dir / "catalog.json"),
      line_ready_(io, net::Clock::time_point::max()),
      signals_(io, SIGINT, SIGTERM, SIGHUP) {
  links_ = std::make_unique<LinkManager>(
      io.get_executor(), identity_,
      LinkManager::Events{
          .on_open =
              [this](const std::string& user, wire::LinkPurpose purpose, bool dialed_by_me) {
                // Transfer links are plumbing: downloads report on themselves.
                if (purpose != wire::LinkPurpose::chat) return;
                output_.link(
                    user, true,
                    dialed_by_me ? "opened by you" : fmt::format("{} opened a private link with you", user));
              },
          .on_closed =
              [this](const std::string& user, wire::LinkPurpose purpose, const std::string& reason) {
                if (purpose == wire::LinkPurpose::chat)
                  output_.link(user, false, reason);
                else
                  on_transfer_closed(user);
              },
          .on_private =
              [this](const std::string& user, const wire::PrivateText& text) {
                last_sender_ = user;
                output_.private_message(user, text);
              },
          .on_transfer = [this](const std::string& user,
                                wire::LinkMessage&& message) { on_transfer(user, std::move(message)); },
          .on_piece = [this](const std::string& user,
                             const wire::PieceView& piece) { on_piece(user, piece); },
      });
  chunk_server_ = std::make_unique<ChunkServer>(
      io.get_executor(), workers_, catalog_,
      [this](const std::string& user, wire::SharedFrame frame) {
        return links_->send_transfer(user, std::move(frame));
      },
      config_.upload_limit);
  budget_->on_freed = [this] {
    // Posted: the download that freed room is in the middle of its own bookkeeping.
    if (kick_posted_) return;
    kick_posted_ = true;
    asio::post(io_, [this] {
      kick_posted_ = false;
      for (auto& download : downloads_) download->kick();
    });
  };
}

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
  // Ctrl-C and friends end the program through the loop: links get a goodbye and the
  // terminal is restored.
  signals_.async_wait([this](std::error_code ec, int signal) {
    if (ec) return;
    asio::co_spawn(io_, leave(fmt::format("{} left", user_.empty() ? "peer" : user_), 128 + signal),
                   net::LogExceptions{"leave"});
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

asio::awaitable<void> App::leave(std::string reason_for_links, int exit_code) {
  if (leaving_) co_return;
  leaving_ = true;
  if (exit_code >= 128) output_.logout(fmt::format("interrupted by signal {}", exit_code - 128));
  co_await links_->close_all(reason_for_links, "you left");
  finish(exit_code);
}

asio::awaitable<void> App::main_flow() {
  if (!co_await log_in()) co_return;
  logged_in_ = true;
  links_->set_user(user_);
  output_.login(user_);
  output_.info(fmt::format("direct links: listening on {}:{} as {}", endpoint_.host, endpoint_.port,
                           fingerprint_display(endpoint_.fingerprint)),
               {{"p2p", fmt::format("{}:{}", endpoint_.host, endpoint_.port)},
                {"fingerprint", endpoint_.fingerprint}});
  on_server_up();

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

  while (!finished_ && !leaving_) {
    auto line = co_await next_line("");
    if (finished_ || leaving_) co_return;
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

std::string App::check_fingerprint(const std::string& fingerprint) {
  try {
    auto pin = check_server_fingerprint(config_.data_dir / "known_servers",
                                        fmt::format("{}:{}", config_.host, config_.port), fingerprint,
                                        config_.server_fingerprint);
    if (!pin.accepted()) return pin.message;
    pin_message_ = pin.message;
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

// Connects, starts the direct-link listener the first time (its address depends on
// the route to the server), and sends Login.
asio::awaitable<App::LoginAttempt> App::connect_and_log_in() {
  if (auto error = co_await client_.connect(config_.host, config_.port,
                                            [this](const std::string& fp) { return check_fingerprint(fp); });
      !error.empty()) {
    spdlog::info("registry: {}", error);
    co_return LoginAttempt{std::nullopt, error};
  }
  if (endpoint_.port == 0) {
    std::string bind = config_.p2p_bind.empty() ? client_.local_address() : config_.p2p_bind;
    endpoint_.port = links_->listen(bind, config_.p2p_port);
    endpoint_.host = config_.advertise.empty() ? bind : config_.advertise;
    endpoint_.fingerprint = links_->fingerprint();
  }
  const wire::Message login = wire::Login{0, user_, password_, endpoint_, sign_up_};
  auto reply = co_await client_.call(login);
  if (!reply || !std::holds_alternative<wire::LoginResult>(*reply))
    co_return LoginAttempt{std::nullopt, "no answer to login: " + client_.close_reason()};
  co_return LoginAttempt{std::get<wire::LoginResult>(*reply), {}};
}

asio::awaitable<bool> App::log_in() {
  user_ = config_.user;
  auto ask_user = [&]() -> asio::awaitable<bool> {
    auto line = co_await next_line("username: ");
    if (!line) co_return false;
    user_ = *line;
    co_return true;
  };
  auto ask_password = [&]() -> asio::awaitable<bool> {
    auto line = co_await next_line("password: ", true);
    if (!line) co_return false;
    password_ = *line;
    co_return true;
  };
  // A new account's password, typed twice so a typo does not lock the owner out.
  auto choose_password = [&]() -> asio::awaitable<bool> {
    for (;;) {
      auto first = co_await next_line("choose a password: ", true);
      if (!first) co_return false;
      auto second = co_await next_line("type it again: ", true);
      if (!second) co_return false;
      if (*first != *second) {
        output_.error("login", "the two passwords differ; try again");
      } else if (first->size() < 8 || first->size() > wire::kMaxPassword) {
        output_.error("login",
                      fmt::format("a password has 8 to {} characters; try again", wire::kMaxPassword));
      } else {
        password_ = *first;
        co_return true;
      }
    }
  };
  if (user_.empty() && !co_await ask_user()) {
    output_.error("login", "no username given");
    finish(1);
    co_return false;
  }
  if (config_.password) {
    password_ = *config_.password;
  } else if (!co_await ask_password()) {
    output_.error("login", "no password given");
    finish(1);
    co_return false;
  }

  for (;;) {
    try {
      auto attempt = co_await connect_and_log_in();
      if (!attempt.result) {
        output_.error("connect", attempt.error);
        finish(1);
        co_return false;
      }
      auto& result = attempt.result;
      if (!pin_message_.empty()) output_.info(pin_message_);
      pin_message_.clear();
      if (result->status == wire::Status::ok) {
        user_ = result->user;
        if (sign_up_)
          output_.info(fmt::format("account {} created", user_), {{"user", user_}, {"created", true}});
        sign_up_ = false;  // logging in again later is an ordinary login
        co_return true;
      }
      const bool was_sign_up = std::exchange(sign_up_, false);  // a refused sign-up is not retried as one
      if (result->status == wire::Status::unknown_user && result->can_sign_up && !was_sign_up) {
        // The name is free and the server takes sign-ups: create the account.
        if (config_.interactive) {
          output_.info(result->message);
          client_.close("choosing a password");
          if (!co_await choose_password()) break;
          sign_up_ = true;
          continue;
        }
        if (config_.sign_up) {
          sign_up_ = true;
          continue;
        }
        output_.error("login", result->message + " (run with --sign-up to create it)");
        break;
      }
      output_.error("login", result->message);
      // People at a terminal may try again; scripts fail fast with the error above.
      bool retry = config_.interactive && (result->status == wire::Status::wrong_password ||
                                           result->status == wire::Status::unknown_user);
      if (!retry) break;
      // Prompting blocks this thread: hang up first rather than hold a silent connection.
      client_.close("retrying login");
      if (result->status == wire::Status::unknown_user && !co_await ask_user()) break;
      if (!co_await ask_password()) break;
    } catch (const std::system_error& e) {
      output_.error("connect", fmt::format("cannot listen for direct links: {}", e.what()));
      break;
    }
  }
  finish(1);
  co_return false;
}

// After every successful login: the list of who is online, for completion, and what
// this peer holds (the server forgot it at login).
void App::on_server_up() {
  server_up_ = true;
  asio::co_spawn(io_, announce_holdings(), net::LogExceptions{"announce holdings"});
  asio::co_spawn(
      io_,
      [this]() -> asio::awaitable<void> {
        const wire::Message who = wire::WhoElse{};
        if (auto reply = co_await client_.call(who);
            reply && std::holds_alternative<wire::UserList>(*reply)) {
          online_.clear();
          for (auto& u : std::get<wire::UserList>(*reply).users) online_.insert(u);
        }
      },
      net::LogExceptions{"seed online list"});
}

void App::on_link_closed(const std::string& reason) {
  // Before login, connect() and the login loop report failures themselves.
  if (finished_ || leaving_ || !logged_in_) return;
  server_lost(reason);
}

void App::server_lost(const std::string& reason) {
  if (!server_up_) return;
  server_up_ = false;
  output_.server_state(false, reason);
  if (!reconnecting_) asio::co_spawn(io_, reconnect_loop(), net::LogExceptions{"reconnect"});
}

// Keeps trying, with exponential backoff and jitter (so a restarted server is not hit
// by every peer at once), until logged in again. Direct links carry on meanwhile.
asio::awaitable<void> App::reconnect_loop() {
  reconnecting_ = true;
  std::mt19937 rng(std::random_device{}());
  std::chrono::milliseconds delay(500);
  asio::steady_timer timer(io_);
  while (!finished_ && !leaving_) {
    std::uniform_int_distribution<long> jitter(0, delay.count() / 2);
    timer.expires_after(delay + std::chrono::milliseconds(jitter(rng)));
    co_await timer.async_wait(net::use_nothrow);
    if (finished_ || leaving_) break;
    delay = std::min<std::chrono::milliseconds>(delay * 2, kMaxReconnectDelay);
    auto attempt = co_await connect_and_log_in();
    auto& result = attempt.result;
    if (!result) continue;
    if (result->status == wire::Status::ok) {
      reconnecting_ = false;
      output_.server_state(true, "logged in again");
      on_server_up();
      co_return;
    }
    client_.close("login refused");
    if (result->status == wire::Status::locked) {
      delay = std::chrono::seconds(std::max<std::int64_t>(result->retry_after_s, 1));
    } else if (result->status != wire::Status::already_logged_in) {
      // Our old session may still be open on the server until it notices it is dead;
      // anything else (password changed, account removed) will not fix itself.
      output_.error("login", fmt::format("cannot log in again: {}", result->message));
      break;
    }
  }
  reconnecting_ = false;
}

void App::on_event(wire::Message&& event) {
  std::visit(Overloaded{
                 [&](wire::ChatEvent& m) {
                   last_sender_ = m.from;
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
                 [&](wire::LinkRequest& m) {
                   bool ready = links_->expect(m);
                   client_.send(wire::LinkAnswer{m.token, ready, ready ? "" : "too many links being set up"});
                 },
                 [&](wire::LoggedOut& m) {
                   if (m.temporary) {  // the server is going away, not our session: wait for it
                     server_lost(m.reason);
                     return;
                   }
                   output_.logout(m.reason);
                   asio::co_spawn(io_, leave(fmt::format("{} logged out", user_), 0),
                                  net::LogExceptions{"leave"});
                 },
                 [&](wire::ProtocolError& m) { output_.error("server", m.message); },
                 [&](wire::Announcement& m) { output_.announcement(m.text, m.sent_ms); },
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
