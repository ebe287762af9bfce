// The operator console's terminal: a prompt with GNU readline's line editing and
// history, driven by the event loop (readline's callback mode: the loop waits for stdin
// to be readable and feeds readline, never blocking). Whatever is printed through it,
// console answers and log lines alike, appears above the line being typed, which is
// then drawn again as it was.
//
// Only for a terminal this process has in the foreground; readline's state is global,
// so one Terminal at a time. Everything but print_from_any_thread() runs on the loop.
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::server {

class Terminal {
 public:
  struct Callbacks {
    std::function<void(std::string line)> on_line;  // one entered line, without its newline
    std::function<void()> on_eof;                   // Ctrl-D on an empty line; stopped already
  };
  // `words`: what Tab completes the first word of a line to (the commands).
  Terminal(asio::any_io_executor executor, std::string prompt, std::vector<std::string> words,
           Callbacks callbacks);
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  void start();
  void stop();  // gives the terminal back as it was; idempotent

  // Prints `text` (a newline is added if missing) above the line being typed, to
  // `stream` (stdout for answers; stderr for log lines, where logs go).
  void print(std::string_view text, std::FILE* stream = stdout);
  // The same from any thread: on the loop's thread at once, from another one as soon as
  // the loop gets to it (or on stderr directly once the terminal has stopped).
  void print_from_any_thread(std::string_view text, std::FILE* stream);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::server
