// Interactive line editing on a terminal, driven by the peer's event loop.
//
// GNU readline in callback mode: the editor waits for stdin to become readable on the
// io_context (never blocking it), feeds readline one character at a time, and hands
// each finished line to `on_line`. Output printed with print() appears above the line
// being typed, which is then redrawn intact: incoming messages never garble input.
//
// Only for a terminal: scripts read their lines without it. Everything runs on the
// io_context's thread; call print() from there too.
#pragma once

#include <asio/any_io_executor.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace parley::peer {

class LineEditor {
 public:
  struct Callbacks {
    std::function<void(std::string line)> on_line;  // one entered line, without the newline
    std::function<void()> on_eof;                   // Ctrl-D on an empty line; the editor has stopped already
    // Candidates for tab completion of the word being typed; `word_index` is 0 for the
    // first word of the line (the command), 1 for the second, ... Candidates replace the
    // word as typed (so "/mes" needs "/message"); a comma also starts a word, so in
    // "message al,bo" the candidates replace "bo" while word_index is 1.
    std::function<std::vector<std::string>(const std::string& line_so_far, int word_index)> complete;
  };

  // `history_file` may be empty (no persistent history).
  LineEditor(asio::any_io_executor executor, std::string prompt, std::filesystem::path history_file,
             Callbacks callbacks);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  void start();  // installs the readline handler and begins waiting for input
  void stop();   // restores the terminal; idempotent

  // Prints `text` (one or more lines, no trailing newline needed) above the input line.
  void print(const std::string& text);
  // Shows `status` (a download's progress bar) in front of the prompt, redrawn in place
  // so it never scrolls the conversation away; "" removes it.
  void set_status(const std::string& status);
  // Ctrl-C: drops the line being typed and returns true; false if it was empty.
  bool clear_line();
  int columns() const;  // of the terminal

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::peer
