#include "server/console/terminal.hpp"

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
#include <cstring>
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
  static std::vector<std::string> matches;
  static std::size_t next_match;

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
  static char* next_completion(const char* text, int state);
};

Terminal::Impl* Terminal::Impl::active = nullptr;
std::vector<std::string> Terminal::Impl::matches;
std::size_t Terminal::Impl::next_match = 0;

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
  rl_readline_name = "parley-server";  // for $if parley-server in ~/.inputrc
  rl_instream = stdin;
  rl_outstream = stdout;
  // The loop owns SIGINT and SIGTERM (graceful shutdown); SIGWINCH is watched on the
  // loop too, since readline's handlers would only be active inside its own calls.
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_change_environment = 0;
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
    if (!in_line_handler) {
      // Leave no half-drawn prompt behind for whatever is printed after the console.
      rl_set_prompt("");
      rl_replace_line("", 0);
      rl_redisplay();
    }
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
  if (rl_display_prompt != rl_prompt) {
    // Readline shows a prompt of its own (reverse-i-search), kept in state that
    // rl_set_prompt() would reset: erase the screen lines and draw them again instead.
    rl_clear_visible_line();
    write_to(stream, out);
    rl_forced_update_display();
    return;
  }
  // Erase the prompt and the partly typed line, print, then draw them again below.
  const int saved_point = rl_point;
  const std::string saved_line(rl_line_buffer, static_cast<std::size_t>(rl_end));
  rl_set_prompt("");
  rl_replace_line("", 0);
  rl_redisplay();
  write_to(stream, out);
  rl_set_prompt(prompt.c_str());
  rl_replace_line(saved_line.c_str(), 0);
  rl_point = saved_point;
  rl_redisplay();
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
  if (self == nullptr || before.find_first_not_of(" \t") != std::string_view::npos) return nullptr;
  const std::string_view word(text);
  matches.clear();
  for (const auto& w : self->words)
    if (w.starts_with(word)) matches.push_back(w);
  if (matches.empty()) return nullptr;
  next_match = 0;
  return rl_completion_matches(text, &Impl::next_completion);
}

char* Terminal::Impl::next_completion(const char* /*text*/, int state) {
  if (state == 0) next_match = 0;
  if (next_match >= matches.size()) return nullptr;
  return ::strdup(matches[next_match++].c_str());  // readline frees each match
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
