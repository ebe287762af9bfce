// POSIX terminal and process settings that every Parley program changes the same way.
#pragma once

#include <termios.h>
#include <unistd.h>

#include <cstdint>

namespace parley {

// Turns echo off on `fd` for this object's lifetime, so a password typed there is not
// shown; does nothing when `fd` is not a terminal. Throws std::system_error when it is a
// terminal whose settings cannot be changed (typing a password visibly is worse).
class EchoOff {
 public:
  explicit EchoOff(int fd = STDIN_FILENO);
  ~EchoOff();
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  bool active_ = false;
  termios saved_{};
};

// Raises this process's soft limit on open descriptors to its hard limit (many peers
// means many sockets) and returns the limit now in force, 0 if it cannot be read.
std::uint64_t raise_fd_limit();

}  // namespace parley
