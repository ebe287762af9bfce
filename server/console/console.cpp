#include "server/console/console.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/read_until.hpp>
#include <iostream>
#include <istream>

#include "server/console/terminal.hpp"
#include "server/server.hpp"
#include "shared/util/log.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/util/time.hpp"

namespace parley::server {

Console::Console(Server& server, std::function<void(const std::string&)> print,
                 std::function<void()> shutdown)
    : server_(server), print_(std::move(print)), shutdown_(std::move(shutdown)) {}

void Console::list_users() {
  auto users = server_.online_users();
  if (users.empty()) return print_("nobody is online");
  print_(fmt::format("{} online:", users.size()));
  for (const auto& u : users)
    print_(fmt::format("  {} since {} from {}", u.user, iso_time_utc(u.since_ms), u.address));
}

void Console::kick(const console::Kick& c) {
  std::string reason =
      c.reason.empty() ? "kicked by the operator" : fmt::format("kicked by the operator: {}", c.reason);
  if (c.minutes == 0) {
    if (server_.kick(c.user, reason))
      print_(fmt::format("kicked {}", c.user));
    else
      print_(fmt::format("error: {} is not online", c.user));
    return;
  }
  const auto ban = fmt::format("banned for {} minute{}", c.minutes, c.minutes == 1 ? "" : "s");
  if (server_.ban(c.user, c.minutes * 60'000, fmt::format("{}; {}", reason, ban)))
    print_(fmt::format("kicked {}; {}", c.user, ban));
  else
    print_(fmt::format("{} is not online; {}", c.user, ban));
}

void Console::execute(std::string_view line) {
  std::visit(Overloaded{
                 [&](const console::Users&) { list_users(); },
                 [&](const console::Kick& c) { kick(c); },
                 [&](const console::Say& c) {
                   std::size_t n = server_.announce(c.text);
                   print_(fmt::format("announced to {} user{}", n, n == 1 ? "" : "s"));
                 },
                 [&](const console::Shutdown&) {
                   print_("shutting down");
                   shutdown_();
                 },
                 [&](const console::Help&) { print_(console::help_text()); },
                 [&](const console::Invalid& c) { print_("error: " + c.message); },
                 [&](const console::Empty&) {},
             },
             console::parse(line));
}

ConsoleInput::Mode ConsoleInput::mode_for_stdin(bool forced) {
  const bool foreground = ::isatty(STDIN_FILENO) && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
  // Answers going to a file (`> log`) must not fill it with prompts and redraws: plain
  // lines then, as from a pipe.
  if (foreground) return ::isatty(STDOUT_FILENO) ? Mode::terminal : Mode::pipe;
  return forced ? Mode::pipe : Mode::none;
}

ConsoleInput::ConsoleInput(asio::any_io_executor executor, Mode mode, Server& server,
                           std::function<void()> shutdown)
    : mode_(mode),
      console_(
          server, [this](const std::string& line) { print(line); }, std::move(shutdown)) {
  if (mode_ == Mode::terminal) {
    terminal_ = std::make_unique<Terminal>(
        executor, "parley-server> ", console::command_names(),
        Terminal::Callbacks{.on_line = [this](std::string line) { console_.execute(line); },
                            .on_eof =
                                [this] {
                                  stop();
                                  std::cout << "console closed; the server carries on (Ctrl-C stops it)"
                                            << std::endl;
                                }});
  } else if (mode_ == Mode::pipe) {
    input_ = std::make_unique<asio::posix::stream_descriptor>(executor, ::dup(STDIN_FILENO));
  }
}

ConsoleInput::~ConsoleInput() { stop(); }

void ConsoleInput::print(const std::string& line) {
  if (terminal_)
    terminal_->print(line);
  else
    std::cout << line << std::endl;
}

void ConsoleInput::start() {
  if (mode_ == Mode::pipe) return read_next();
  if (mode_ != Mode::terminal) return;
  terminal_->start();
  // Log lines from now on are printed above the prompt instead of through it. Where
  // stderr is not the terminal (a log file), they go there untouched.
  if (::isatty(STDERR_FILENO))
    route_logs([terminal = terminal_.get()](std::string_view line) {
      terminal->print_from_any_thread(line, stderr);
    });
  terminal_->print("console: type help for commands");
}

void ConsoleInput::stop() {
  if (terminal_) {
    route_logs({});
    terminal_->stop();
  }
  if (input_ && input_->is_open()) {
    // Asio made the descriptor non-blocking, and that flag is shared with whoever else
    // has the same input (the shell that started us): give it back as it was.
    const int fd = input_->native_handle();
    if (int flags = ::fcntl(fd, F_GETFL); flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    std::error_code ignored;
    input_->close(ignored);
  }
}

void ConsoleInput::read_next() {
  asio::async_read_until(*input_, buffer_, '\n', [this](std::error_code ec, std::size_t) {
    if (ec == asio::error::not_found) {  // longer than any command: drop it, keep reading
      buffer_.consume(buffer_.size());
      print("error: line too long");
      return read_next();
    }
    if (ec) {
      // End of input (or the terminal went away): the server carries on without a console.
      if (ec != asio::error::operation_aborted && buffer_.size() > 0) {
        std::string rest(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
        buffer_.consume(buffer_.size());
        console_.execute(rest);
      }
      return;
    }
    std::istream in(&buffer_);
    std::string line;
    std::getline(in, line);
    console_.execute(line);
    read_next();
  });
}

}  // namespace parley::server
