// GNU readline in callback mode on an event loop, the parts every Parley prompt needs
// the same way: settings, printing above the line being typed, and completion lists.
// Readline's state is global: one prompt per process, used from the loop's thread.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace parley::term {

// Readline on stdin/stdout for a loop that owns the signals: no handlers of its own
// (the loop watches SIGWINCH and calls rl_resize_terminal()), no changes to LINES and
// COLUMNS. `name` is for `$if name` in ~/.inputrc and must outlive the prompt.
void configure_callback_mode(const char* name);

// Prints `text` (a newline is added if missing) to `stream` above the prompt, then draws
// `prompt` and the partly typed line again below it with the cursor where it was. While
// readline shows a prompt of its own (reverse-i-search), that one is drawn again.
void print_above_prompt(std::string_view text, std::FILE* stream, const std::string& prompt);

// Erases the prompt and the partly typed line, so nothing half drawn stays on the screen
// for whatever is printed after the prompt goes away.
void erase_prompt();

// For an rl_attempted_completion_function: the candidates that extend `text`, sorted
// and without repeats, as readline wants them (nullptr for none). Never falls back to
// completing file names.
char** completion_matches(const char* text, std::vector<std::string> candidates);

}  // namespace parley::term
