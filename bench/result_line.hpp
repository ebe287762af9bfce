// The one line parley-bench prints on stdout. Scripts parse it by field name, so the
// names and their order are an interface: change them only with bench/run-bench.sh and
// the tests. Pure: measurements in, text out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace parley::bench {

// What one run measured. Absent values (no --server-pid, no deliveries to take
// latencies from) are printed as 0.
struct Measurements {
  std::string mode;
  std::size_t clients = 0;
  double window_s = 0;          // wall time between the two snapshots
  std::uint64_t sent = 0;       // messages (or pings) sent inside the window
  std::uint64_t delivered = 0;  // deliveries of those messages (or pongs)
  std::optional<double> p50_ms, p99_ms, max_ms;
  std::optional<double> server_cpu_s;  // server CPU (user + system) over the window
  double loadgen_cpu_s = 0;            // this process's CPU over the window
  std::optional<std::int64_t> rss_before_kib;
  std::optional<std::int64_t> rss_after_connect_kib;
};

// "RESULT mode=... clients=... window_s=... sent=... delivered=... msgs_per_s=... p50_ms=...
// p99_ms=... max_ms=... server_cpu_s=... us_per_msg=... loadgen_cpu_pct=... rss_before_kib=...
// rss_after_connect_kib=... kib_per_conn=...", with the derived fields computed here:
// msgs_per_s = delivered / window_s, us_per_msg = server CPU / delivered,
// loadgen_cpu_pct = loadgen CPU / window_s * 100, kib_per_conn = RSS growth / clients.
std::string format_result_line(const Measurements& m);

}  // namespace parley::bench
