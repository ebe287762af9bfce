// Prompts before the line editor starts (user name, password, "trust this server?"):
// a plain blocking read of stdin, which is what a login dialogue wants.
#pragma once

#include <string>
#include <string_view>

namespace parley::peer {

// Like std::getline, both return "" and set std::cin's failbit at end of input; also
// when SIGINT or SIGTERM arrives, after passing the signal on to its usual handler.
// Reads a password without echo.
std::string read_password(const std::string& prompt);
// Reads one line with echo.
std::string read_line(const std::string& prompt);
// Writes and flushes at once: what the terminal shows must not wait in a buffer.
void write_stdout(std::string_view text);

}  // namespace parley::peer
