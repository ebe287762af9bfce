#include "bench/result_line.hpp"

#include <fmt/format.h>

namespace parley::bench {
namespace {

// A measured value with fixed decimals, or a bare 0 for "no data".
std::string number(std::optional<double> value, int decimals) {
  if (!value) return "0";
  return fmt::format("{:.{}f}", *value, decimals);
}

std::string integer(std::optional<std::int64_t> value) { return value ? std::to_string(*value) : "0"; }

}  // namespace

std::string format_result_line(const Measurements& m) {
  const bool has_window = m.window_s > 0;
  std::optional<double> msgs_per_s, loadgen_pct, us_per_msg, kib_per_conn;
  if (has_window) {
    msgs_per_s = static_cast<double>(m.delivered) / m.window_s;
    loadgen_pct = m.loadgen_cpu_s / m.window_s * 100.0;
  }
  if (m.server_cpu_s && m.delivered > 0)
    us_per_msg = *m.server_cpu_s * 1e6 / static_cast<double>(m.delivered);
  if (m.rss_before_kib && m.rss_after_connect_kib && m.clients > 0) {
    kib_per_conn =
        static_cast<double>(*m.rss_after_connect_kib - *m.rss_before_kib) / static_cast<double>(m.clients);
  }
  return fmt::format(
      "RESULT mode={} clients={} window_s={} sent={} delivered={} msgs_per_s={} p50_ms={} p99_ms={} "
      "max_ms={} "
      "server_cpu_s={} us_per_msg={} loadgen_cpu_pct={} rss_before_kib={} rss_after_connect_kib={} "
      "kib_per_conn={}",
      m.mode, m.clients, number(has_window ? std::optional(m.window_s) : std::nullopt, 3), m.sent,
      m.delivered, number(msgs_per_s, 1), number(m.p50_ms, 3), number(m.p99_ms, 3), number(m.max_ms, 3),
      number(m.server_cpu_s, 3), number(us_per_msg, 2), number(loadgen_pct, 1), integer(m.rss_before_kib),
      integer(m.rss_after_connect_kib), number(kib_per_conn, 2));
}

}  // namespace parley::bench
