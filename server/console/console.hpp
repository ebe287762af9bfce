// The operator console: commands typed on the server's stdin (a terminal, or a pipe with
// --console). Parsing is pure, for tests; Console reads lines off the event loop's
// descriptor and acts on the Server.
//   users                   who is online, since when, from where
//   kick <user> [reason]    tell the user why, then disconnect them
//   say <text>              an announcement every online user sees, from the server
//   shutdown                graceful: tell everyone, flush, exit 0
//   help
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/streambuf.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

namespace parley::server {

namespace console {
struct Users {};
struct Kick {
  std::string user;
  std::string reason;
};
struct Say {
  std::string text;
};
struct Shutdown {};
struct Help {};
struct Invalid {
  std::string message;  // what to print
};
struct Empty {};
using Command = std::variant<Users, Kick, Say, Shutdown, Help, Invalid, Empty>;

Command parse(std::string_view line);
std::string help_text();
}  // namespace console

class Server;

class Console {
 public:
  // `print` writes one line for the operator; `shutdown` starts a graceful shutdown.
  Console(asio::any_io_executor executor, int fd, Server& server,
          std::function<void(const std::string&)> print, std::function<void()> shutdown);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;
  void start();
  // Runs one command line (also what start() does with each line read).
  void execute(std::string_view line);

 private:
  void read_next();

  asio::posix::stream_descriptor input_;
  asio::streambuf buffer_{kMaxLine};  // a line without an end must not grow without bound
  static constexpr std::size_t kMaxLine = 64 * 1024;
  Server& server_;
  std::function<void(const std::string&)> print_;
  std::function<void()> shutdown_;
  int fd_;
};

}  // namespace parley::server
