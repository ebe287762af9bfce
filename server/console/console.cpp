#include "server/console.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/read_until.hpp>
#include <istream>

#include "server/server.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::server {
namespace console {
namespace {

constexpr std::string_view kSpace = " \t\r\n";

std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::pair<std::string_view, std::string_view> split(std::string_view s) {
  auto end = std::min(s.find_first_of(kSpace), s.size());
  return {s.substr(0, end), trim(s.substr(end))};
}

}  // namespace

Command parse(std::string_view line) {
  auto [word, rest] = split(trim(line));
  if (word.empty()) return Empty{};
  if (!word.empty() && word.front() == '/') word.remove_prefix(1);
  if (word == "users") return rest.empty() ? Command{Users{}} : Command{Invalid{"usage: users"}};
  if (word == "help") return Help{};
  if (word == "shutdown") return rest.empty() ? Command{Shutdown{}} : Command{Invalid{"usage: shutdown"}};
  if (word == "say") {
    if (rest.empty()) return Invalid{"usage: say <text>"};
    if (rest.size() > wire::kMaxText)
      return Invalid{fmt::format("text too long (max {} bytes)", wire::kMaxText)};
    return Say{std::string(rest)};
  }
  if (word == "kick") {
    auto [user, reason] = split(rest);
    if (user.empty()) return Invalid{"usage: kick <user> [reason]"};
    if (reason.size() > 200) return Invalid{"reason too long (max 200 bytes)"};
    return Kick{std::string(user), std::string(reason)};
  }
  return Invalid{fmt::format("unknown command '{}' (type help)", word)};
}

std::string help_text() {
  return "users                   who is online, since when, from where\n"
         "kick <user> [reason]    tell the user why, then disconnect them\n"
         "say <text>              an announcement every online user sees\n"
         "shutdown                tell everyone, flush, exit\n"
         "help                    this list";
}

}  // namespace console

Console::Console(asio::any_io_executor executor, int fd, Server& server,
                 std::function<void(const std::string&)> print, std::function<void()> shutdown)
    : input_(executor, ::dup(fd)),
      server_(server),
      print_(std::move(print)),
      shutdown_(std::move(shutdown)),
      fd_(input_.native_handle()) {}

Console::~Console() {
  // Asio made the descriptor non-blocking, and that flag is shared with whoever else
  // has the terminal (the shell): give it back as it was.
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
}

void Console::start() { read_next(); }

void Console::read_next() {
  asio::async_read_until(input_, buffer_, '\n', [this](std::error_code ec, std::size_t) {
    if (ec == asio::error::not_found) {  // longer than any command: drop it, keep reading
      buffer_.consume(buffer_.size());
      print_("error: line too long");
      return read_next();
    }
    if (ec) {
      // End of input (or the terminal went away): the server carries on without a console.
      if (buffer_.size() > 0) {
        std::string rest(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
        buffer_.consume(buffer_.size());
        execute(rest);
      }
      return;
    }
    std::istream in(&buffer_);
    std::string line;
    std::getline(in, line);
    execute(line);
    read_next();
  });
}

void Console::execute(std::string_view line) {
  std::visit(
      Overloaded{
          [&](const console::Users&) {
            auto users = server_.online_users();
            if (users.empty()) return print_("nobody is online");
            print_(fmt::format("{} online:", users.size()));
            for (const auto& u : users)
              print_(fmt::format("  {} since {} from {}", u.user, iso_time_utc(u.since_ms), u.address));
          },
          [&](const console::Kick& c) {
            std::string reason = c.reason.empty() ? "kicked by the operator"
                                                  : fmt::format("kicked by the operator: {}", c.reason);
            if (server_.kick(c.user, reason))
              print_(fmt::format("kicked {}", c.user));
            else
              print_(fmt::format("error: {} is not online", c.user));
          },
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

}  // namespace parley::server
