#include "peer/shell/line_editor.hpp"

// readline.h uses FILE without including stdio.h.
#include <cstdio>
// clang-format off
#include <fmt/format.h>
#include <readline/readline.h>
#include <readline/history.h>
// clang-format on

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace parley::peer {

namespace {

constexpr int kHistoryLimit = 1000;

void write_stdout(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// --- synchronous prompts (before the editor starts) --------------------------------------

volatile std::sig_atomic_t g_interrupted_by = 0;

extern "C" void note_interrupt(int signal_number) { g_interrupted_by = signal_number; }

// While a prompt blocks in read(), SIGINT/SIGTERM must still get through: whoever owns
// them (default action, or an Asio signal_set that is not being run yet) would otherwise
// never see them, and with echo off a killed process would leave the terminal silent.
// So catch them without SA_RESTART, let read() fail with EINTR, restore the terminal,
// then re-raise under the original disposition.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted_by = 0;
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
      struct sigaction action {};
      action.sa_handler = &note_interrupt;
      sigemptyset(&action.sa_mask);
      action.sa_flags = 0;
      if (sigaction(kSignals[i], nullptr, &saved_[i]) != 0 || saved_[i].sa_handler == SIG_IGN) {
        installed_[i] = false;
        continue;
      }
      installed_[i] = sigaction(kSignals[i], &action, nullptr) == 0;
    }
  }
  ~InterruptGuard() { restore(); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  void restore() {
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
      if (installed_[i]) sigaction(kSignals[i], &saved_[i], nullptr);
      installed_[i] = false;
    }
  }

  // Call after the terminal is restored: delivers the signal to its real owner, which
  // may end the process; if it does not, the prompt reads as end of input.
  static void reraise_if_interrupted() {
    if (const int signal_number = g_interrupted_by; signal_number != 0) {
      g_interrupted_by = 0;
      std::raise(signal_number);
    }
  }

 private:
  static constexpr std::array<int, 2> kSignals{SIGINT, SIGTERM};
  std::array<struct sigaction, 2> saved_{};
  std::array<bool, 2> installed_{};
};

// Reads up to a newline with read(2), one byte at a time: stdio would buffer input past
// the newline, and those bytes (the first commands, when stdin is a pipe) would then be
// invisible to the editor, which reads the file descriptor directly.
// Returns nullopt at end of input or on interrupt.
std::optional<std::string> read_stdin_line() {
  std::string line;
  for (;;) {
    if (g_interrupted_by != 0) return std::nullopt;  // arrived before read() could see it
    char c = 0;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "reading standard input");
    }
    if (n == 0) {
      if (line.empty()) return std::nullopt;
      break;
    }
    if (c == '\n') break;
    line += c;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Callers test std::cin after reading, as they would after std::getline.
std::string line_or_end(std::optional<std::string> line) {
  if (line) return std::move(*line);
  std::cin.setstate(std::ios::eofbit | std::ios::failbit);
  return {};
}

class EchoOff {
 public:
  EchoOff() {
    if (tcgetattr(STDIN_FILENO, &saved_) != 0) {
      throw std::system_error(errno, std::generic_category(), "reading terminal settings");
    }
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &quiet) != 0) {
      throw std::system_error(errno, std::generic_category(), "turning off echo");
    }
  }
  ~EchoOff() { tcsetattr(STDIN_FILENO, TCSANOW, &saved_); }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
};

// Word index of the word ending at the end of `before`: whitespace-separated words
// strictly before it. Commas do not start a new word, so every recipient in
// "message a,b,c" is word 1.
int word_index_of(std::string_view before) {
  int index = 0;
  bool in_word = false;
  for (char c : before) {
    const bool space = c == ' ' || c == '\t' || c == '\n';
    if (space && in_word) ++index;
    in_word = !space;
  }
  return index;
}

}  // namespace

struct LineEditor::Impl {
  Impl(asio::any_io_executor executor, std::string prompt_text, std::filesystem::path history, Callbacks cbs)
      : input(executor),
        winch(executor),
        base_prompt(prompt_text),
        prompt(std::move(prompt_text)),
        history_file(std::move(history)),
        callbacks(std::move(cbs)) {}

  // Readline's state is global, and its C callbacks carry no user pointer.
  static Impl* active;
  // An exception thrown by a callback must not unwind through readline's C frames; it is
  // parked here and rethrown once rl_callback_read_char() has returned.
  static std::exception_ptr callback_exception;
  static std::vector<std::string> completion_candidates;
  static std::size_t next_candidate;

  asio::posix::stream_descriptor input;
  asio::signal_set winch;
  std::string base_prompt;
  std::string prompt;  // base_prompt, after the status if there is one
  std::filesystem::path history_file;
  Callbacks callbacks;
  bool running = false;
  // Set while readline runs our line handler: the entered line has been accepted and
  // the cursor sits on a fresh line with no prompt, so output needs no redrawing.
  bool in_line_handler = false;
  // The handlers below may run after a callback destroyed the editor; they check this.
  std::shared_ptr<char> alive = std::make_shared<char>();

  void start();
  void stop();
  void print(const std::string& text);
  void set_status(const std::string& status);

  void wait_for_input();
  void on_readable();
  bool clear_line();
  void erase_accepted_status(const std::string& line);
  void wait_for_resize();
  void finish_at_eof();
  void load_history();
  void save_history();

  static void line_handler(char* line);
  static char** attempt_completion(const char* text, int start, int end);
  static char* next_completion(const char* text, int state);
};

LineEditor::Impl* LineEditor::Impl::active = nullptr;
std::exception_ptr LineEditor::Impl::callback_exception;
std::vector<std::string> LineEditor::Impl::completion_candidates;
std::size_t LineEditor::Impl::next_candidate = 0;

void LineEditor::Impl::start() {
  if (running) return;
  // A duplicate, so that closing the descriptor (stop, destructor) leaves stdin open.
  const int fd = ::dup(STDIN_FILENO);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup(stdin)");
  asio::error_code ec;
  input.assign(fd, ec);
  if (ec) {
    ::close(fd);
    throw std::system_error(ec, "watching standard input");
  }
  running = true;
  rl_readline_name = "parley";  // for $if parley in ~/.inputrc
  rl_instream = stdin;
  rl_outstream = stdout;
  // Asio owns SIGINT/SIGTERM. Readline's own handlers would only be active inside
  // rl_callback_read_char() anyway, so a resize between keys would go unnoticed;
  // SIGWINCH is watched on the io_context instead.
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_change_environment = 0;
  rl_attempted_completion_function = &Impl::attempt_completion;
  // ',' lets each name in a recipient list complete on its own.
  rl_completer_word_break_characters = " \t\n,";
  load_history();
  rl_callback_handler_install(prompt.c_str(), &Impl::line_handler);
  winch.add(SIGWINCH, ec);  // resizing is cosmetic: carry on without it
  if (!ec) wait_for_resize();
  wait_for_input();
}

void LineEditor::Impl::stop() {
  if (!running) return;
  running = false;
  if (!in_line_handler) {
    // Leave no half-drawn prompt behind for whatever is printed after the editor.
    rl_set_prompt("");
    rl_replace_line("", 0);
    rl_redisplay();
  }
  rl_callback_handler_remove();
  rl_attempted_completion_function = nullptr;
  asio::error_code ignored;
  winch.cancel(ignored);
  winch.clear(ignored);
  save_history();
  input.cancel(ignored);
  input.close(ignored);
}

bool LineEditor::Impl::clear_line() {
  if (!running || rl_end == 0) return false;
  rl_replace_line("", 0);
  rl_point = 0;
  write_stdout("^C\n");
  rl_on_new_line();
  rl_redisplay();
  return true;
}

// The accepted line stays in the scrollback as typed, but without the download status
// that stood in front of its prompt: the cursor is on the row below it.
void LineEditor::Impl::erase_accepted_status(const std::string& line) {
  if (prompt == base_prompt) return;
  int rows = 0, columns = 0;
  rl_get_screen_size(&rows, &columns);
  if (columns <= 0) return;
  const auto shown = prompt.size() + line.size();
  const auto used_rows = shown / static_cast<std::size_t>(columns) + 1;
  write_stdout(fmt::format("\x1b[{}A\r\x1b[J{}{}\n", used_rows, base_prompt, line));
}

void LineEditor::Impl::print(const std::string& text) {
  std::string out = text;
  if (out.empty() || out.back() != '\n') out += '\n';
  if (!running || in_line_handler) {
    write_stdout(out);
    return;
  }
  if (rl_display_prompt != rl_prompt) {
    // Readline is showing its own prompt (reverse-i-search, "(arg: 3)"), kept in state
    // that rl_set_prompt() would reset; erase and redraw the screen lines instead.
    rl_clear_visible_line();
    write_stdout(out);
    rl_forced_update_display();
    return;
  }
  // Erase the prompt and the partly typed line, print, then draw them again below.
  const int saved_point = rl_point;
  const std::string saved_line(rl_line_buffer, static_cast<std::size_t>(rl_end));
  rl_set_prompt("");
  rl_replace_line("", 0);
  rl_redisplay();
  write_stdout(out);
  rl_set_prompt(prompt.c_str());
  rl_replace_line(saved_line.c_str(), 0);
  rl_point = saved_point;
  rl_redisplay();
}

void LineEditor::Impl::set_status(const std::string& status) {
  prompt = status.empty() ? base_prompt : fmt::format("{} {}", status, base_prompt);
  // While readline shows its own prompt (a search), the new one appears when it ends.
  if (!running || in_line_handler || rl_display_prompt != rl_prompt) return;
  rl_set_prompt(prompt.c_str());
  rl_redisplay();
}

void LineEditor::Impl::wait_for_input() {
  input.async_wait(asio::posix::stream_descriptor::wait_read,
                   [this, alive = std::weak_ptr<char>(alive)](const asio::error_code& ec) {
                     if (ec == asio::error::operation_aborted || alive.expired() || !running) return;
                     if (ec) {
                       finish_at_eof();
                       return;
                     }
                     on_readable();
                   });
}

void LineEditor::Impl::on_readable() {
  const std::weak_ptr<char> still_alive = alive;
  // Readline reads one byte per call; the descriptor stays readable while more are
  // queued, so the next wait completes at once. rl_pending_input is a key pushed back
  // inside readline, invisible to the descriptor.
  do {
    rl_callback_read_char();
  } while (!still_alive.expired() && running && rl_pending_input != 0 && !callback_exception);

  if (!still_alive.expired() && running) wait_for_input();
  if (auto error = std::exchange(callback_exception, nullptr)) std::rethrow_exception(error);
}

void LineEditor::Impl::finish_at_eof() {
  // Stopped first, so that a terminal that went away (EOF on every read) cannot make
  // readline report EOF in a loop.
  stop();
  if (callbacks.on_eof) callbacks.on_eof();
}

void LineEditor::Impl::wait_for_resize() {
  winch.async_wait([this, alive = std::weak_ptr<char>(alive)](const asio::error_code& ec, int) {
    if (ec || alive.expired() || !running) return;
    rl_resize_terminal();
    wait_for_resize();
  });
}

void LineEditor::Impl::line_handler(char* raw_line) {
  Impl* self = active;
  if (self == nullptr) {
    std::free(raw_line);
    return;
  }
  self->in_line_handler = true;
  const std::weak_ptr<char> still_alive = self->alive;
  try {
    if (raw_line == nullptr) {
      // Ctrl-D leaves the cursor after the prompt; stop() erases it.
      self->in_line_handler = false;
      self->finish_at_eof();
    } else {
      std::string line(raw_line);
      std::free(raw_line);
      raw_line = nullptr;
      self->erase_accepted_status(line);
      if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
      if (self->callbacks.on_line) self->callbacks.on_line(std::move(line));
    }
  } catch (...) {
    std::free(raw_line);
    callback_exception = std::current_exception();
  }
  if (!still_alive.expired()) self->in_line_handler = false;
}

char** LineEditor::Impl::attempt_completion(const char* text, int /*start*/, int /*end*/) {
  // Never fall back to completing file names.
  rl_attempted_completion_over = 1;
  Impl* self = active;
  if (self == nullptr || !self->callbacks.complete) return nullptr;

  const std::string before(rl_line_buffer, static_cast<std::size_t>(std::clamp(rl_point, 0, rl_end)));
  std::vector<std::string> candidates;
  try {
    candidates = self->callbacks.complete(before, word_index_of(before));
  } catch (...) {
    callback_exception = std::current_exception();
    return nullptr;
  }
  // Readline replaces the word with the candidates' common prefix; a candidate that
  // does not extend the word would make it delete what was typed.
  const std::string_view word(text);
  std::erase_if(candidates, [&](const std::string& c) { return !c.starts_with(word); });
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  if (candidates.empty()) return nullptr;

  completion_candidates = std::move(candidates);
  next_candidate = 0;
  return rl_completion_matches(text, &Impl::next_completion);
}

char* LineEditor::Impl::next_completion(const char* /*text*/, int state) {
  if (state == 0) next_candidate = 0;
  if (next_candidate >= completion_candidates.size()) return nullptr;
  // Readline frees each match with free().
  return ::strdup(completion_candidates[next_candidate++].c_str());
}

void LineEditor::Impl::load_history() {
  // History is global to the process: start from a clean list for this editor.
  clear_history();
  stifle_history(kHistoryLimit);
  if (history_file.empty()) return;
  const auto dir = history_file.parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    // The history holds message text: keep a directory we create private.
    if (std::filesystem::create_directories(dir, ec)) {
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
  }
  read_history(history_file.c_str());  // a missing file just means no history yet
}

void LineEditor::Impl::save_history() {
  if (history_file.empty()) return;
  if (write_history(history_file.c_str()) != 0) return;  // best effort: losing history is harmless
  std::error_code ec;
  std::filesystem::permissions(history_file,
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
}

LineEditor::LineEditor(asio::any_io_executor executor, std::string prompt, std::filesystem::path history_file,
                       Callbacks callbacks) {
  if (Impl::active != nullptr) throw std::logic_error("only one LineEditor may exist at a time");
  impl_ = std::make_unique<Impl>(std::move(executor), std::move(prompt), std::move(history_file),
                                 std::move(callbacks));
  Impl::active = impl_.get();
}

LineEditor::~LineEditor() {
  stop();
  Impl::active = nullptr;
}

void LineEditor::start() { impl_->start(); }

void LineEditor::stop() { impl_->stop(); }

void LineEditor::print(const std::string& text) { impl_->print(text); }

void LineEditor::set_status(const std::string& status) { impl_->set_status(status); }

bool LineEditor::clear_line() { return impl_->clear_line(); }

int LineEditor::columns() const {
  int rows = 0, columns = 0;
  rl_get_screen_size(&rows, &columns);
  return columns > 0 ? columns : 80;
}

std::string LineEditor::read_password(const std::string& prompt) {
  write_stdout(prompt);
  std::optional<std::string> line;
  {
    InterruptGuard interrupts;
    if (::isatty(STDIN_FILENO)) {
      EchoOff echo_off;
      line = read_stdin_line();
    } else {
      line = read_stdin_line();
    }
  }
  // The Enter key was not echoed either.
  write_stdout("\n");
  InterruptGuard::reraise_if_interrupted();
  return line_or_end(std::move(line));
}

std::string LineEditor::read_line(const std::string& prompt) {
  write_stdout(prompt);
  std::optional<std::string> line;
  {
    InterruptGuard interrupts;
    line = read_stdin_line();
  }
  // A terminal echoed the newline; from a pipe, keep the output line-structured.
  if (!::isatty(STDIN_FILENO) || !line) write_stdout("\n");
  InterruptGuard::reraise_if_interrupted();
  return line_or_end(std::move(line));
}

}  // namespace parley::peer
