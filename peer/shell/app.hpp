// The peer program: logs in, then reads commands (from the line editor on a terminal,
// or one per line from a script), turns them into requests, and shows replies and
// events through Output. Everything runs on one io_context thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "peer/commands.hpp"
#include "peer/registry_client.hpp"
#include "peer/shell/output.hpp"

namespace parley::peer {

class LineEditor;
struct ScriptReader;

struct PeerConfig {
  std::string host = "127.0.0.1";
  std::string port = "7878";
  std::string user;
  std::optional<std::string> password;
  std::filesystem::path data_dir;
  std::string server_fingerprint;  // pinned explicitly; empty: trust on first use
  bool json = false;
  bool interactive = false;  // stdin is a terminal
  bool color = false;
};

class App {
 public:
  App(asio::io_context& io, PeerConfig config);
  ~App();
  // Runs until logout, end of input or a fatal error; returns the exit code.
  int run();

 private:
  asio::awaitable<void> main_flow();
  asio::awaitable<bool> log_in();
  asio::awaitable<void> heartbeat_loop();
  asio::awaitable<std::optional<std::string>> next_line(const std::string& prompt, bool secret = false);
  asio::awaitable<void> execute(const Command& command);
  void on_event(wire::Message&& event);
  void on_link_closed(const std::string& reason);
  void acknowledge(std::int64_t seq);
  void print(const std::string& line);
  void finish(int exit_code);
  std::vector<std::string> complete(const std::string& line, int word_index) const;

  asio::io_context& io_;
  PeerConfig config_;
  Output output_;
  RegistryClient client_;
  std::unique_ptr<LineEditor> editor_;
  std::shared_ptr<ScriptReader> script_;
  std::deque<std::optional<std::string>> typed_;  // lines from the editor; nullopt is end of input
  asio::steady_timer line_ready_;
  asio::signal_set signals_;
  std::string user_;
  std::set<std::string> online_;  // for completion
  std::vector<std::int64_t> acks_;
  bool logged_in_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
};

}  // namespace parley::peer
