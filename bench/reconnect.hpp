// The reconnect storm (issue 14): N clients log in, the server is restarted under them
// (by bench/reconnect-bench.sh: SIGTERM, then the same data directory again), and every
// client comes back the way parley-peer does: Resume with the token of its login (or
// the password, for contrast), exponential backoff from 0.5 s to 30 s with up to 50 %
// jitter, and every temporary refusal retried. What it measures is how long until all
// N are back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace parley::bench {

struct ReconnectOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7878;
  std::size_t clients = 100;
  std::string prefix = "bench";
  std::size_t logins_in_flight = 16;  // for the first logins only; the storm is not paced
  bool resume = true;                 // false: log in again with the password
  double timeout_s = 600;             // the whole run
};

struct ReconnectResult {
  std::size_t clients = 0;
  bool resume = true;
  double login_s = 0;          // the first logins, before the restart
  double outage_s = 0;         // first connection lost -> first client back (the restart itself)
  double storm_s = 0;          // first client back -> all back
  double total_s = 0;          // first connection lost -> all back
  std::uint64_t attempts = 0;  // connections tried after the restart
  std::uint64_t refusals = 0;  // temporary refusals (busy, ...) and failed connects
  std::uint64_t tokens_refused = 0;
};

// Logs everyone in, calls `ready` (the restart may begin), and returns once all are back
// after losing their connection. Throws std::runtime_error on a final refusal or timeout.
ReconnectResult run_reconnect(const ReconnectOptions& options, const std::function<void()>& ready);

// "RESULT mode=reconnect via=token clients=... login_s=... outage_s=... storm_s=...
// total_s=... attempts=... refusals=... tokens_refused=..."
std::string format_reconnect_line(const ReconnectResult& result);

}  // namespace parley::bench
