// parley-bench's pure parts: latency percentiles, /proc parsing, the RESULT line and
// the synthetic accounts.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "bench/latency_stats.hpp"
#include "bench/process_stats.hpp"
#include "bench/result_line.hpp"
#include "bench/synthetic_users.hpp"
#include "shared/wire/limits.hpp"

using namespace parley::bench;
using namespace std::chrono_literals;

namespace {
// Within 1% of `expected`, as the histogram promises.
bool near(std::chrono::nanoseconds got, std::chrono::nanoseconds expected) {
  auto diff = got > expected ? got - expected : expected - got;
  return diff.count() * 100 <= expected.count();
}
}  // namespace

TEST_CASE("latency histogram: empty, one sample, and small values exactly") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile(50) == 0ns);
  CHECK(h.percentile(99) == 0ns);
  CHECK(h.max() == 0ns);

  h.record(42ns);
  CHECK(h.count() == 1);
  CHECK(h.percentile(50) == 42ns);
  CHECK(h.percentile(99) == 42ns);
  CHECK(h.max() == 42ns);

  LatencyHistogram single;
  single.record(1234567ns);
  CHECK(near(single.percentile(50), 1234567ns));
  CHECK(single.percentile(100) == 1234567ns);  // never above the maximum
}

TEST_CASE("latency histogram: nearest-rank percentiles of 1..1000 us within 1%") {
  LatencyHistogram h;
  // Recorded out of order: the histogram must not care.
  for (int i = 1000; i >= 1; --i) h.record(std::chrono::microseconds(i));
  CHECK(h.count() == 1000);
  CHECK(near(h.percentile(50), 500us));
  CHECK(near(h.percentile(99), 990us));
  CHECK(near(h.percentile(99.9), 999us));
  CHECK(h.max() == 1000us);
  CHECK(h.percentile(100) <= h.max());
  CHECK(h.percentile(50) <= h.percentile(99));
  CHECK(near(h.percentile(0.1), 1us));
}

TEST_CASE("latency histogram: a long tail moves p99 and max, not p50") {
  LatencyHistogram h;
  for (int i = 0; i < 980; ++i) h.record(200us);
  for (int i = 0; i < 20; ++i) h.record(50ms);
  CHECK(near(h.percentile(50), 200us));
  CHECK(near(h.percentile(98), 200us));
  CHECK(near(h.percentile(99), 50ms));
  CHECK(h.max() == 50ms);
}

TEST_CASE("latency histogram: negative and huge values are clamped, not lost") {
  LatencyHistogram h;
  h.record(-5ns);
  h.record(std::chrono::hours(24 * 365));
  CHECK(h.count() == 2);
  CHECK(h.percentile(1) == 0ns);
  CHECK(h.max() > std::chrono::hours(24));
  CHECK(to_ms(1500us) == doctest::Approx(1.5));
}

TEST_CASE("/proc/PID/stat: utime and stime, whatever the command name holds") {
  const std::string plain =
      "4242 (parley-server) S 1 4242 4242 0 -1 4194560 1234 0 0 0 731 209 0 0 20 0 3 0 123456 "
      "123456789 2345 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
  auto ticks = parse_proc_stat(plain);
  REQUIRE(ticks);
  CHECK(ticks->user == 731);
  CHECK(ticks->system == 209);

  // A process may name itself anything, spaces and parentheses included.
  const std::string odd = "77 (a) b (c)) R 1 77 77 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 1 1";
  ticks = parse_proc_stat(odd);
  REQUIRE(ticks);
  CHECK(ticks->user == 5);
  CHECK(ticks->system == 6);

  CHECK_FALSE(parse_proc_stat(""));
  CHECK_FALSE(parse_proc_stat("12 (x) S 1 2 3"));                            // truncated
  CHECK_FALSE(parse_proc_stat("12 (x) S 1 2 3 4 5 6 7 8 9 10 x 12 13 14"));  // not a number
  CHECK_FALSE(parse_proc_stat("no parentheses at all 1 2 3 4 5 6 7 8 9 10 11 12 13"));
}

TEST_CASE("/proc/PID/status: VmRSS in KiB") {
  const std::string status =
      "Name:\tparley-server\nState:\tS (sleeping)\nVmPeak:\t  200000 kB\nVmRSS:\t   12345 kB\n"
      "RssAnon:\t    8000 kB\nThreads:\t3\n";
  CHECK(parse_vm_rss_kib(status) == 12345);
  CHECK(parse_vm_rss_kib("VmRSS:\t1 kB") == 1);                          // last line without a newline
  CHECK_FALSE(parse_vm_rss_kib("Name:\tzombie\nState:\tZ (zombie)\n"));  // no memory line at all
  CHECK_FALSE(parse_vm_rss_kib("VmRSS:\t   lots kB\n"));
  CHECK_FALSE(parse_vm_rss_kib("VmRSS:\t   12 MB\n"));
}

TEST_CASE("/proc readers: this process has CPU time and memory; a missing one has none") {
  CHECK(process_rss_kib(::getpid()).value_or(0) > 0);
  CHECK(process_cpu_seconds(::getpid()).has_value());
  CHECK(self_cpu_seconds() >= 0.0);
  CHECK_FALSE(process_rss_kib(0x3fffffff));  // above any pid_max
  CHECK_FALSE(process_cpu_seconds(0x3fffffff));
}

TEST_CASE("RESULT line: every field, in order, with derived values") {
  Measurements m;
  m.mode = "private";
  m.clients = 50;
  m.window_s = 5.0;
  m.sent = 100000;
  m.delivered = 99990;
  m.p50_ms = 0.4567;
  m.p99_ms = 2.5;
  m.max_ms = 12.25;
  m.server_cpu_s = 3.0;
  m.loadgen_cpu_s = 4.5;
  m.rss_before_kib = 10000;
  m.rss_after_connect_kib = 12500;
  CHECK(format_result_line(m) ==
        "RESULT mode=private clients=50 window_s=5.000 sent=100000 delivered=99990 msgs_per_s=19998.0 "
        "p50_ms=0.457 p99_ms=2.500 max_ms=12.250 server_cpu_s=3.000 us_per_msg=30.00 loadgen_cpu_pct=90.0 "
        "rss_before_kib=10000 rss_after_connect_kib=12500 kib_per_conn=50.00");
}

TEST_CASE("RESULT line: fields without data print 0") {
  Measurements m;
  m.mode = "idle";
  m.clients = 3;
  m.window_s = 2.0;
  m.loadgen_cpu_s = 0.01;
  CHECK(format_result_line(m) ==
        "RESULT mode=idle clients=3 window_s=2.000 sent=0 delivered=0 msgs_per_s=0.0 p50_ms=0 p99_ms=0 "
        "max_ms=0 server_cpu_s=0 us_per_msg=0 loadgen_cpu_pct=0.5 rss_before_kib=0 rss_after_connect_kib=0 "
        "kib_per_conn=0");

  // Server CPU but nothing delivered: no cost per message to speak of.
  m.server_cpu_s = 0.2;
  m.rss_before_kib = 1000;
  m.rss_after_connect_kib = 1300;
  auto line = format_result_line(m);
  CHECK(line.find(" server_cpu_s=0.200 us_per_msg=0 ") != std::string::npos);
  CHECK(line.find(" kib_per_conn=100.00") != std::string::npos);
}

TEST_CASE("synthetic users: names the server accepts, one password each, a credentials file") {
  CHECK(user_name("bench", 1) == "bench00001");
  CHECK(user_name("bench", 99999) == "bench99999");
  CHECK(user_name("bench", 100000) == "bench100000");
  CHECK(password_of("bench00001") != password_of("bench00002"));
  CHECK(password_of("bench00001").front() != '$');  // never taken for a hash
  CHECK(credentials_text("b", 2) ==
        "b00001 " + password_of("b00001") + "\nb00002 " + password_of("b00002") + "\n");
  CHECK(parley::wire::is_valid_username(user_name("bench", 1'000'000)));

  CHECK(prefix_problem("bench", 10000).empty());
  CHECK(prefix_problem("7up", 10).empty());
  CHECK_FALSE(prefix_problem("", 10).empty());
  CHECK_FALSE(prefix_problem("be nch", 10).empty());
  CHECK_FALSE(prefix_problem("bench.", 10).empty());
  CHECK(prefix_problem(std::string(27, 'a'), 99999).empty());  // 27 + 5 = 32 characters
  CHECK_FALSE(prefix_problem(std::string(27, 'a'), 100000).empty());
}
