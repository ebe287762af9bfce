#include "peer/shell/prompt.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <system_error>

#include "shared/util/posix.hpp"

namespace parley::peer {
namespace {

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

}  // namespace

std::string read_password(const std::string& prompt) {
  write_stdout(prompt);
  std::optional<std::string> line;
  {
    InterruptGuard interrupts;
    EchoOff echo_off;  // nothing to do when stdin is no terminal
    line = read_stdin_line();
  }
  // The Enter key was not echoed either.
  write_stdout("\n");
  InterruptGuard::reraise_if_interrupted();
  return line_or_end(std::move(line));
}

std::string read_line(const std::string& prompt) {
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

void write_stdout(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace parley::peer
