#include "peer/shell/line_editor.hpp"

// readline.h uses FILE without including stdio.h.
#include <cstdio>
// clang-format off
#include <fmt/format.h>
#include <readline/readline.h>
#include <readline/history.h>
// clang-format on

#include <unistd.h>

#include <algorithm>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/signal_set.hpp>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "peer/shell/prompt.hpp"
#include "shared/term/readline_screen.hpp"

namespace parley::peer {

namespace {

constexpr int kHistoryLimit = 1000;

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
};

LineEditor::Impl* LineEditor::Impl::active = nullptr;
std::exception_ptr LineEditor::Impl::callback_exception;

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
  // Asio owns the signals; SIGWINCH is watched on the io_context.
  term::configure_callback_mode("parley");  // for $if parley in ~/.inputrc
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
  if (!in_line_handler) term::erase_prompt();  // nothing half drawn for what follows
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
  if (!running) return false;
  // In a history search (Ctrl-R) or another mode with a prompt of readline's own,
  // Ctrl-C leaves that mode, as in bash, whatever was typed.
  const bool own_mode = rl_display_prompt != rl_prompt || RL_ISSTATE(RL_STATE_ISEARCH | RL_STATE_NSEARCH);
  if (!own_mode && rl_end == 0) return false;
  if (own_mode) {
    // The search line is dropped from the screen; the prompt gets the ^C instead.
    rl_callback_sigcleanup();
    rl_clear_visible_line();
    write_stdout(prompt + "^C\n");
    rl_set_prompt(prompt.c_str());
  } else {
    rl_point = rl_end;  // the ^C goes after the whole line, wherever the cursor was
    rl_redisplay();
    write_stdout("^C\n");
  }
  rl_replace_line("", 0);
  rl_point = 0;
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
  if (!running || in_line_handler) {
    write_stdout(text.empty() || text.back() != '\n' ? text + '\n' : text);
    return;
  }
  term::print_above_prompt(text, stdout, prompt);
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
  rl_attempted_completion_over = 1;  // never fall back to completing file names
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
  return term::completion_matches(text, std::move(candidates));
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

}  // namespace parley::peer
