// The load generator: N synthetic users logged in over TLS on one io_context and one
// thread, then one workload for a timed window. What it measures goes into a
// Measurements for the RESULT line.
//
// Counting: a message belongs to the window when it was *sent* inside it (its send time
// travels with it); sent and delivered count only those, and after the window the
// generator stops sending and waits (at most 5 s) for them to arrive. So
// delivered == sent * recipients exactly when nothing was lost or late, and warm-up
// traffic arriving during the window is not counted.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/result_line.hpp"

namespace parley::bench {

enum class Mode {
  private_chat,  // closed loop: each client keeps `window` one-recipient messages in flight
  fanout,        // one client broadcasts `rate` messages per second on a fixed schedule
  idle,          // logged in, heartbeats only: memory and CPU of idle sessions
  ping,          // every client pings once per second, staggered; latency is the round trip
};

const char* to_string(Mode mode);
std::optional<Mode> parse_mode(std::string_view name);

struct Options {
  Mode mode = Mode::idle;
  std::string host = "127.0.0.1";
  std::uint16_t port = 7878;
  std::size_t clients = 10;
  std::size_t window = 8;  // private: messages in flight per client
  double rate = 100;       // fanout: broadcasts per second
  double seconds = 10;     // the measured window
  double warmup = 1;       // traffic flows but is not counted
  std::string prefix = "bench";
  std::size_t size = 64;  // chat text bytes
  std::size_t logins_in_flight = 16;
  std::optional<pid_t> server_pid;
};

// Logs everyone in, runs the workload, and returns what was measured. Throws
// std::runtime_error with a message for the user on any failure: a refused login, a
// connection the server closed, a server that stopped answering or whose process is gone.
Measurements run_load(const Options& options);

}  // namespace parley::bench
