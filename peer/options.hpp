// parley-peer's command line and settings file, checked before anything connects: a
// bad port, fingerprint, flag or setting ends the program with exit code 2 and a
// message that says which one (and, for the settings file, where).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "peer/engine/config.hpp"

namespace parley::peer {

// What the options read from the process environment; a parameter so tests need no setenv.
struct Environment {
  std::string home;                     // $HOME
  std::string xdg_config_home;          // $XDG_CONFIG_HOME
  std::optional<std::string> password;  // $PARLEY_PASSWORD
  static Environment from_process();
};

// Fills `config` and `log_level` from the settings file and then the command line,
// which wins. Returns nullopt to go on, or the exit code to end with at once: 0 after
// --help (printed to `out`), 2 for a usage error, 1 when the password file cannot be
// read (both explained on `err`). Does not set `interactive` or `color`.
std::optional<int> parse_options(int argc, const char* const* argv, const Environment& env,
                                 PeerConfig& config, std::string& log_level, std::ostream& out,
                                 std::ostream& err);

// The checks behind the options, for tests. Each returns an error message, or empty.
// A port is 1-65535 written in digits; 0 too when `allow_zero` (any free port).
std::string port_error(std::string_view text, bool allow_zero);
// A SHA-256 fingerprint: 64 hex digits, ':' allowed anywhere; on success `text`
// becomes its canonical form (lower case, no colons).
std::string normalise_fingerprint(std::string& text);
// "host", "host:port" or "[v6 address]:port", into `host` and (when given) `port`.
std::string split_server(std::string_view server, std::string& host, std::string& port);

// --web's "[HOST:]PORT" ("8080", "0.0.0.0:8080", "[::1]:0"); port 0 is any free one.
std::string split_web(std::string_view text, std::string& host, std::string& port);
bool is_loopback_host(std::string_view host);

}  // namespace parley::peer
