#include "shared/util/posix.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <system_error>

namespace parley {

EchoOff::EchoOff(int fd) : fd_(fd) {
  if (!::isatty(fd_)) return;
  if (::tcgetattr(fd_, &saved_) != 0)
    throw std::system_error(errno, std::generic_category(), "reading terminal settings");
  termios quiet = saved_;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  if (::tcsetattr(fd_, TCSANOW, &quiet) != 0)
    throw std::system_error(errno, std::generic_category(), "turning off echo");
  active_ = true;
}

EchoOff::~EchoOff() {
  if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
}

std::uint64_t raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

}  // namespace parley
