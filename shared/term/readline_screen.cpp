#include "shared/term/readline_screen.hpp"

// readline.h uses FILE without including stdio.h.
#include <cstdio>
// clang-format off
#include <readline/readline.h>
// clang-format on

#include <algorithm>
#include <cstring>

namespace parley::term {
namespace {

void write_to(std::FILE* stream, std::string_view text) {
  std::fflush(stdout);  // what readline drew must land first, whatever the stream
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

// rl_completion_matches() asks for the matches one by one through a plain C function.
std::vector<std::string> g_matches;
std::size_t g_next_match = 0;

char* next_match(const char* /*text*/, int state) {
  if (state == 0) g_next_match = 0;
  if (g_next_match >= g_matches.size()) return nullptr;
  return ::strdup(g_matches[g_next_match++].c_str());  // readline frees each match
}

}  // namespace

void configure_callback_mode(const char* name) {
  rl_readline_name = name;
  rl_instream = stdin;
  rl_outstream = stdout;
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_change_environment = 0;
}

void print_above_prompt(std::string_view text, std::FILE* stream, const std::string& prompt) {
  std::string out(text);
  if (out.empty() || out.back() != '\n') out += '\n';
  if (rl_display_prompt != rl_prompt) {
    // Readline's own prompt lives in state that rl_set_prompt() would reset: erase the
    // screen lines and draw them again instead.
    rl_clear_visible_line();
    write_to(stream, out);
    rl_forced_update_display();
    return;
  }
  const int saved_point = rl_point;
  const std::string saved_line(rl_line_buffer, static_cast<std::size_t>(rl_end));
  erase_prompt();
  write_to(stream, out);
  rl_set_prompt(prompt.c_str());
  rl_replace_line(saved_line.c_str(), 0);
  rl_point = saved_point;
  rl_redisplay();
}

void erase_prompt() {
  rl_set_prompt("");
  rl_replace_line("", 0);
  rl_redisplay();
}

char** completion_matches(const char* text, std::vector<std::string> candidates) {
  rl_attempted_completion_over = 1;
  // Readline replaces the word with the candidates' common prefix: one that does not
  // extend the word would delete what was typed.
  const std::string_view word(text);
  std::erase_if(candidates, [&](const std::string& c) { return !c.starts_with(word); });
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  if (candidates.empty()) return nullptr;
  g_matches = std::move(candidates);
  return rl_completion_matches(text, &next_match);
}

}  // namespace parley::term
