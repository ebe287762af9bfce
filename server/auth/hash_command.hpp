// `parley-server hash-password`: reads a password and prints its hash, for the
// credentials file.
#pragma once

#include <istream>
#include <ostream>

#include "server/auth/password.hpp"

namespace parley::server {

// Reads the password from the first line of `in`; with `confirm` (a person at a
// terminal, who cannot see what they type) a second time, and refuses if the two
// differ. The hash goes to `out`, prompts and errors to `err`. Returns the exit status.
int hash_password_command(HashAlgorithm algorithm, std::istream& in, std::ostream& out, std::ostream& err,
                          bool confirm);

// The same on the process's own stdin, stdout and stderr, without echo on a terminal.
int hash_password_command(HashAlgorithm algorithm);

}  // namespace parley::server
