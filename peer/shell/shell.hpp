// The terminal front end of the peer engine, and the line-by-line one for scripts.
// It asks for what logging in needs (user name, trust in a new server, password, a new
// account's password), reads commands (the line editor on a terminal, one line at a
// time from a script), hands them to the engine, and shows the engine's events: as text
// with colours, a status line and a bell on a terminal, or through the --json writer.
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peer/engine/engine.hpp"
#include "shared/net/async.hpp"

namespace parley::peer {

class LineEditor;
struct ScriptReader;

class Shell {
 public:
  Shell(asio::io_context& io, Engine& engine);
  ~Shell();
  // Runs until the engine is finished; returns the exit code.
  int run();

 private:
  asio::awaitable<void> main_flow();
  asio::awaitable<void> command_loop();
  asio::awaitable<void> end_of_input();
  // shell_login.cpp
  asio::awaitable<bool> log_in();
  asio::awaitable<bool> check_server();
  // Coroutine parameters are references to objects that outlive the call (g++ 12).
  asio::awaitable<bool> attempt_logins(const std::string& first_password);
  asio::awaitable<std::optional<std::string>> sign_up_password(const std::string& offer,
                                                               const std::string& given);
  asio::awaitable<void> pause_before_retry(std::int64_t retry_after_s);
  asio::awaitable<std::optional<std::string>> choose_password();

  // `prompt` is a literal: a std::string temporary inside co_await is destroyed twice
  // by g++ 12.
  asio::awaitable<std::optional<std::string>> next_line(std::string_view prompt, bool secret = false);
  void start_script_reader();
  void start_editor();
  void on_event(const Event& event);
  void show_status(const std::vector<DownloadView>& running);
  void print(const std::string& line);
  void on_signal(int signal_number);
  void finished(int exit_code);
  std::vector<std::string> complete(const std::string& line) const;

  asio::io_context& io_;
  Engine& engine_;
  const PeerConfig& config_;
  std::unique_ptr<LineEditor> editor_;
  std::shared_ptr<ScriptReader> script_;
  std::deque<std::optional<std::string>> typed_;  // lines read; nullopt is end of input
  net::AsyncEvent line_ready_;
  asio::signal_set signals_;
  std::string user_;
  bool leaving_ = false;  // a signal asked to leave
  bool done_ = false;
  int exit_code_ = 0;
};

}  // namespace parley::peer
