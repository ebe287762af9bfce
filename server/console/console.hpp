// The operator console: commands typed on the server's stdin, acted on against the
// Server. On a terminal in the foreground it is a readline prompt (terminal.hpp) above
// which answers and log lines appear; with --console on anything else (a pipe: tests,
// scripts) plain lines are read and answered on stdout, with no prompt.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/streambuf.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/console/commands.hpp"

namespace parley::server {

class Server;
class Terminal;

// Runs command lines against `server`; `print` shows one line to the operator,
// `shutdown` starts a graceful shutdown.
class Console {
 public:
  Console(Server& server, std::function<void(const std::string&)> print, std::function<void()> shutdown);
  void execute(std::string_view line);

 private:
  void list_users();
  void kick(const console::Kick& c);

  Server& server_;
  std::function<void(const std::string&)> print_;
  std::function<void()> shutdown_;
};

// Where the console's lines come from, for the process's stdin.
class ConsoleInput {
 public:
  enum class Mode { none, terminal, pipe };
  // terminal: stdin and stdout are a terminal this process has in the foreground (one
  // started with `&` would be stopped by SIGTTIN at its first read); pipe: stdout is
  // not a terminal, or stdin is not one and the console was asked for (`forced`, the
  // --console flag).
  static Mode mode_for_stdin(bool forced);

  ConsoleInput(asio::any_io_executor executor, Mode mode, Server& server, std::function<void()> shutdown);
  ~ConsoleInput();  // gives the terminal and the log lines back
  ConsoleInput(const ConsoleInput&) = delete;
  ConsoleInput& operator=(const ConsoleInput&) = delete;
  void start();
  void stop();

 private:
  void read_next();
  void print(const std::string& line);

  Mode mode_;
  std::unique_ptr<Terminal> terminal_;  // mode terminal
  Console console_;
  // mode pipe
  std::unique_ptr<asio::posix::stream_descriptor> input_;
  static constexpr std::size_t kMaxLine = 64 * 1024;
  asio::streambuf buffer_{kMaxLine};  // a line without an end must not grow without bound
};

}  // namespace parley::server
