#include "server/auth/hash_command.hpp"

#include <unistd.h>

#include <iostream>
#include <string>

#include "shared/util/posix.hpp"

namespace parley::server {
namespace {

// Echo is off, so the Enter key did not move to a new line either.
std::string read_secret(std::istream& in, std::ostream& err, const char* prompt, bool terminal) {
  if (terminal) err << prompt << std::flush;
  std::string line;
  std::getline(in, line);
  if (terminal) err << "\n";
  return line;
}

}  // namespace

int hash_password_command(HashAlgorithm algorithm, std::istream& in, std::ostream& out, std::ostream& err,
                          bool confirm) {
  const std::string password = read_secret(in, err, "password: ", confirm);
  if (password.empty()) {
    err << "parley-server: empty password\n";
    return 1;
  }
  if (confirm && read_secret(in, err, "again: ", confirm) != password) {
    err << "parley-server: the two passwords differ; nothing was hashed\n";
    return 1;
  }
  out << hash_password(password, algorithm) << "\n";
  return 0;
}

int hash_password_command(HashAlgorithm algorithm) {
  const bool terminal = ::isatty(STDIN_FILENO);
  EchoOff quiet(STDIN_FILENO);
  return hash_password_command(algorithm, std::cin, std::cout, std::cerr, terminal);
}

}  // namespace parley::server
