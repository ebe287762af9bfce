// Trust on first use for server certificates, like SSH's known_hosts: the first
// fingerprint seen for a server address is pinned in a file; a later mismatch is refused.
#pragma once

#include <filesystem>
#include <string>

namespace parley::peer {

struct PinCheck {
  enum class Outcome { known, pinned_now, first_use, changed, pinned_explicitly, explicit_mismatch };
  Outcome outcome;
  std::string expected;  // for changed / explicit_mismatch
  // A message fit to show the user (empty for `known`).
  std::string message;
  bool accepted() const { return outcome != Outcome::changed && outcome != Outcome::explicit_mismatch; }
};

// `server` is "host:port". `explicit_fingerprint` (from --server-fingerprint), when not
// empty, wins over the file and is not written to it. A server never seen is pinned at
// once (scripts), or with `pin_new` false reported as `first_use`, for the person at the
// terminal to decide (then pin_server_fingerprint).
PinCheck check_server_fingerprint(const std::filesystem::path& known_servers_file, const std::string& server,
                                  const std::string& fingerprint, const std::string& explicit_fingerprint,
                                  bool pin_new = true);
// Returns the message to show; throws std::runtime_error if the file cannot be written.
std::string pin_server_fingerprint(const std::filesystem::path& known_servers_file, const std::string& server,
                                   const std::string& fingerprint);

}  // namespace parley::peer
