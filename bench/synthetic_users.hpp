// The bench's accounts. Names and passwords are derived from a prefix and a number, so
// the credentials file (`parley-bench credentials`) and the load generator agree without
// sharing a file. Passwords are plaintext on purpose: the server then compares them in
// constant time instead of hashing, which keeps login cost out of what is measured.
// These accounts are for a loopback test server only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::bench {

// User `number` (1-based) of `prefix`: "bench00001", ..., "bench99999", "bench100000".
std::string user_name(std::string_view prefix, std::size_t number);
std::string password_of(std::string_view user);

// Why `prefix` cannot name `count` users (empty when it can): the server accepts names
// of up to 32 bytes; a prefix is kept to letters and digits, so names need no quoting.
std::string prefix_problem(std::string_view prefix, std::size_t count);

// "user password\n" for users 1..count: the server's --credentials file.
std::string credentials_text(std::string_view prefix, std::size_t count);

}  // namespace parley::bench
