#include "server/console/terminal.hpp"

#include "shared/term/readline_screen.hpp"

// readline.h uses FILE without including stdio.h.
#include <cstdio>
// clang-format off
#include <readline/readline.h>
#include <readline/history.h>
// clang-format on

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace parley::server {
namespace {

constexpr int kHistoryLimit = 500;

void write_to(std::FILE* stream, std::string_view text) {
  std::fflush(stdout);  // what readline drew must land before the text, whatever the stream
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

}  // namespace

struct Terminal::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, std::string prompt_text, std::vector<std::string> first_words, Callbacks cbs)
      : executor(ex),
        input(ex),
        winch(ex),
        prompt(std::move(prompt_text)),
        words(std::move(first_words)),
        callbacks(std::move(cbs)) {}

  // Readline's state is global, and its C callbacks carry no user pointer.
  static Impl* active;

  asio::any_io_executor executor;
  asio::posix::stream_descriptor input;
  asio::signal_set winch;
  std::string prompt;
  std::vector<std::string> words;
  Callbacks callbacks;
  bool running = false;
  // Readline is running our line handler: the line was accepted and the cursor is on a
  // fresh line with no prompt, so output needs no redrawing.
  bool in_line_handler = false;
  std::thread::id loop_thread;

  // Lines printed from other threads, waiting for the loop.
  std::mutex pending_mutex;
  std::vector<std::pair<std::string, std::FILE*>> pending;
  bool accepting = false;  // under pending_mutex: false once stopped
  bool drain_posted = false;

  void start();
  void stop();
  void print(std::string_view text, std::FILE* stream);
  void print_from_any_thread(std::string_view text, std::FILE* stream);
  void drain();
  void wait_for_input();
  void on_readable();
  void wait_for_resize();

  static void line_handler(char* line);
  static char** attempt_completion(const char* text, int start, int end);
};

Terminal::Impl* Terminal::Impl::active = nullptr;

void Terminal::Impl::start() {
  if (running) return;
  // A duplicate, so that closing it leaves stdin open.
  const int fd = ::dup(STDIN_FILENO);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup(stdin)");
  input.assign(fd);
  running = true;
  loop_thread = std::this_thread::get_id();
  {
    std::lock_guard lock(pending_mutex);
    accepting = true;
  }
  // The loop owns SIGINT and SIGTERM (graceful shutdown) and watches SIGWINCH.
  term::configure_callback_mode("parley-server");
  rl_attempted_completion_function = &Impl::attempt_completion;
  clear_history();
  stifle_history(kHistoryLimit);
  rl_callback_handler_install(prompt.c_str(), &Impl::line_handler);
  std::error_code ec;
  winch.add(SIGWINCH, ec);  // resizing is cosmetic: carry on without it
  if (!ec) wait_for_resize();
  wait_for_input();
}

void Terminal::Impl::stop() {
  std::vector<std::pair<std::string, std::FILE*>> left;
  {
    std::lock_guard lock(pending_mutex);
    accepting = false;
    left = std::exchange(pending, {});
  }
  if (running) {
    running = false;
    if (!in_line_handler) term::erase_prompt();
    rl_callback_handler_remove();  // gives the terminal its settings back
    rl_attempted_completion_function = nullptr;
    std::error_code ignored;
    winch.cancel(ignored);
    winch.clear(ignored);
    const int fd = input.native_handle();
    if (int flags = ::fcntl(fd, F_GETFL); flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    input.cancel(ignored);
    input.close(ignored);
  }
  for (const auto& [text, stream] : left) write_to(stream, text);
}

void Terminal::Impl::print(std::string_view text, std::FILE* stream) {
  std::string out(text);
  if (out.empty() || out.back() != '\n') out += '\n';
  if (!running || in_line_handler) return write_to(stream, out);
  term::print_above_prompt(out, stream, prompt);
}

void Terminal::Impl::print_from_any_thread(std::string_view text, std::FILE* stream) {
  if (std::this_thread::get_id() == loop_thread) return print(text, stream);
  std::lock_guard lock(pending_mutex);
  if (!accepting) return write_to(stream, text);
  pending.emplace_back(text, stream);
  if (std::exchange(drain_posted, true)) return;
  asio::post(executor, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->drain();
  });
}

void Terminal::Impl::drain() {
  std::vector<std::pair<std::string, std::FILE*>> lines;
  {
    std::lock_guard lock(pending_mutex);
    lines = std::exchange(pending, {});
    drain_posted = false;
  }
  for (const auto& [text, stream] : lines) print(text, stream);
}

void Terminal::Impl::wait_for_input() {
  input.async_wait(asio::posix::stream_descriptor::wait_read,
                   [weak = weak_from_this()](const std::error_code& ec) {
                     auto self = weak.lock();
                     if (!self || !self->running || ec == asio::error::operation_aborted) return;
                     if (ec) {  // the terminal went away: as if Ctrl-D
                       self->stop();
                       if (self->callbacks.on_eof) self->callbacks.on_eof();
                       return;
                     }
                     self->on_readable();
                   });
}

void Terminal::Impl::on_readable() {
  auto self = shared_from_this();  // a callback may stop and drop the terminal
  // Readline reads one byte per call; rl_pending_input is a key pushed back inside
  // readline, invisible to the descriptor.
  do {
    rl_callback_read_char();
  } while (running && rl_pending_input != 0);
  if (running) wait_for_input();
}

void Terminal::Impl::wait_for_resize() {
  winch.async_wait([weak = weak_from_this()](const std::error_code& ec, int) {
    auto self = weak.lock();
    if (ec || !self || !self->running) return;
    rl_resize_terminal();
    self->wait_for_resize();
  });
}

void Terminal::Impl::line_handler(char* raw_line) {
  Impl* self = active;
  if (self == nullptr) return std::free(raw_line);
  if (raw_line == nullptr) {  // Ctrl-D on an empty line
    self->stop();
    if (self->callbacks.on_eof) self->callbacks.on_eof();
    return;
  }
  std::string line(raw_line);
  std::free(raw_line);
  if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
  self->in_line_handler = true;
  try {
    if (self->callbacks.on_line) self->callbacks.on_line(std::move(line));
  } catch (const std::exception& e) {
    // Must not unwind through readline's C frames.
    spdlog::error("console: {}", e.what());
  }
  self->in_line_handler = false;
}

char** Terminal::Impl::attempt_completion(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  Impl* self = active;
  const std::string_view before(rl_line_buffer, static_cast<std::size_t>(std::max(start, 0)));
  // Commands only: they are the first word.
  if (self == nullptr || before.find_first_not_of(" \t") != std::string_view::npos) return nullptr;
  return term::completion_matches(text, self->words);
}

Terminal::Terminal(asio::any_io_executor executor, std::string prompt, std::vector<std::string> words,
                   Callbacks callbacks) {
  if (Impl::active != nullptr) throw std::logic_error("only one Terminal may exist at a time");
  impl_ =
      std::make_shared<Impl>(std::move(executor), std::move(prompt), std::move(words), std::move(callbacks));
  Impl::active = impl_.get();
}

Terminal::~Terminal() {
  impl_->stop();
  Impl::active = nullptr;
}

void Terminal::start() { impl_->start(); }
void Terminal::stop() { impl_->stop(); }
void Terminal::print(std::string_view text, std::FILE* stream) { impl_->print(text, stream); }
void Terminal::print_from_any_thread(std::string_view text, std::FILE* stream) {
  impl_->print_from_any_thread(text, stream);
}

}  // namespace parley::server
