// The web UI's side on the engine's thread. It writes every engine event into the event
// log the pages read, and runs what the HTTP threads ask for: commands one at a time (as
// lines typed into the shell are), the page's login, and snapshots of the state a page
// starts from. The HTTP threads only wait for its answers.
#pragma once

#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "peer/engine/engine.hpp"
#include "peer/web/event_log.hpp"
#include "shared/net/async.hpp"

namespace parley::peer::web {

struct ApiReply {
  int status = 200;
  nlohmann::ordered_json body = nlohmann::ordered_json::object();
};

struct LoginForm {
  std::string user;
  std::string password;
  bool sign_up = false;
};

class WebFront {
 public:
  // `logs_in`: no shell will log in, so the page (or log_in_at_start) does.
  WebFront(asio::io_context& io, Engine& engine, EventLog& log, bool logs_in);

  // Any thread but the engine's: each waits for the engine's answer, or returns 503/504.
  ApiReply command(Command command);
  ApiReply login(LoginForm form);
  ApiReply trust(std::string fingerprint);
  ApiReply state();
  // Waiting callers return at once; nothing more is run.
  void stop() { stopping_ = true; }

  // The engine's thread, without a shell: logs in with the user and password given at
  // start, pinning a new server's certificate as scripts do.
  asio::awaitable<void> log_in_at_start();

 private:
  using Work = std::function<asio::awaitable<ApiReply>()>;
  ApiReply on_engine_thread(Work work, std::chrono::seconds timeout);
  static asio::awaitable<void> serve(Work work, std::shared_ptr<std::promise<ApiReply>> promise);
  void on_event(const Event& event);
  asio::awaitable<ApiReply> run_command(Command command);
  asio::awaitable<ApiReply> run_login(LoginForm form);
  asio::awaitable<ApiReply> check_server();
  ApiReply login_outcome(const RegistrySession::LoginOutcome& outcome, const LoginForm& form);
  ApiReply snapshot() const;
  asio::awaitable<void> take_turn();
  void end_turn();

  asio::io_context& io_;
  Engine& engine_;
  EventLog& log_;
  const bool logs_in_;
  std::atomic<bool> stopping_{false};
  // Engine thread only, from here on.
  net::AsyncEvent turn_free_;
  bool busy_ = false;                                       // a command or login is running
  std::vector<nlohmann::ordered_json>* capture_ = nullptr;  // the running command's events
  bool started_ = false;
  bool logged_in_ = false;
  bool server_up_ = false;
  bool trusted_ = false;  // the server's certificate is pinned (or was just trusted)
  std::string seen_fingerprint_;
};

}  // namespace parley::peer::web
