// End to end for parley-bench: the built load generator against the built server, once
// per mode with a handful of clients and a one-second window, checking that the RESULT
// line is whole and its numbers hang together.
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

constexpr int kClients = 6;

// The RESULT line's fields, in order: scripts rely on both.
const std::string kFields =
    "mode clients window_s sent delivered msgs_per_s p50_ms p99_ms max_ms server_cpu_s us_per_msg "
    "loadgen_cpu_pct rss_before_kib rss_after_connect_kib kib_per_conn";

// `parley-bench credentials` output, written where ServerProcess reads its accounts.
void write_bench_credentials(const TempDir& dir, int clients) {
  Process gen(binary("PARLEY_BENCH_BIN"), {"credentials", "--clients", std::to_string(clients)},
              dir / "credentials.log");
  std::string text;
  while (auto line = gen.read_line(10s)) text += *line + "\n";
  REQUIRE(gen.wait_exit() == 0);
  write_text(dir / "credentials.txt", text);
}

struct BenchRun {
  int status = -1;
  std::map<std::string, std::string> fields;  // empty without a RESULT line
  std::string order;                          // the field names, space-separated, as they came
  std::string errors;
  double num(const std::string& key) const { return std::stod(fields.at(key)); }
};

BenchRun run_bench(const TempDir& dir, const ServerProcess& server, std::vector<std::string> args) {
  std::vector<std::string> common{"--port",       std::to_string(server.port),
                                  "--clients",    std::to_string(kClients),
                                  "--seconds",    "1",
                                  "--warmup",     "0",
                                  "--server-pid", std::to_string(server.process->pid())};
  args.insert(args.end(), common.begin(), common.end());
  Process bench(binary("PARLEY_BENCH_BIN"), args, dir / "bench.log");
  BenchRun run;
  if (auto line = bench.read_line(60s); line && line->starts_with("RESULT ")) {
    std::istringstream words(line->substr(7));
    for (std::string word; words >> word;) {
      auto eq = word.find('=');
      REQUIRE_MESSAGE(eq != std::string::npos, *line);
      run.order += (run.order.empty() ? "" : " ") + word.substr(0, eq);
      run.fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
  }
  run.status = bench.wait_exit(30s).value_or(-1);
  run.errors = bench.stderr_text();
  return run;
}

// Every field, in the documented order, numeric where it should be, and the figures
// every mode shares.
void check_common(const BenchRun& run, const std::string& mode) {
  REQUIRE_MESSAGE(run.status == 0, run.errors);
  REQUIRE(run.order == kFields);
  CHECK(run.fields.at("mode") == mode);
  for (const auto& [key, value] : run.fields)
    if (key != "mode") CHECK_NOTHROW((void)run.num(key));
  CHECK(run.num("clients") == kClients);
  CHECK(run.num("window_s") >= 0.99);
  CHECK(run.num("window_s") < 2.0);
  CHECK(run.num("rss_before_kib") > 0);
  CHECK(run.num("rss_after_connect_kib") > 0);
  CHECK(run.num("loadgen_cpu_pct") >= 0);
  CHECK(run.num("delivered") == doctest::Approx(run.num("msgs_per_s") * run.num("window_s")).epsilon(0.01));
}

void check_latencies(const BenchRun& run) {
  CHECK(run.num("p50_ms") > 0);
  CHECK(run.num("p99_ms") >= run.num("p50_ms"));
  CHECK(run.num("max_ms") >= run.num("p99_ms"));
  CHECK(run.num("max_ms") < 1000);
}

}  // namespace

TEST_CASE("e2e bench: each workload against a real server prints a sensible RESULT line") {
  TempDir dir;
  write_bench_credentials(dir, kClients);
  ServerProcess server(dir, {"--no-rate-limits"});  // the bench measures the relay, not the limits

  SUBCASE("private: closed loop, every message sent is delivered") {
    auto run = run_bench(dir, server, {"--mode", "private", "--window", "4"});
    check_common(run, "private");
    CHECK(run.num("sent") > 0);
    CHECK(run.num("delivered") > 0);
    CHECK(run.num("delivered") == run.num("sent"));
    check_latencies(run);
    CHECK(run.num("server_cpu_s") > 0);
    CHECK(run.num("us_per_msg") > 0);
  }
  SUBCASE("fanout: each broadcast reaches the other clients") {
    auto run = run_bench(dir, server, {"--mode", "fanout", "--rate", "50"});
    check_common(run, "fanout");
    CHECK(run.num("sent") >= 40);  // 50 a second on a schedule, give or take the edges
    CHECK(run.num("sent") <= 52);
    CHECK(run.num("delivered") == run.num("sent") * (kClients - 1));
    check_latencies(run);
  }
  SUBCASE("idle: no traffic, only the memory the sessions hold") {
    auto run = run_bench(dir, server, {"--mode", "idle"});
    check_common(run, "idle");
    CHECK(run.num("sent") == 0);
    CHECK(run.num("delivered") == 0);
    CHECK(run.num("p50_ms") == 0);
    CHECK(run.num("us_per_msg") == 0);
    CHECK(run.num("kib_per_conn") > 0);
  }
  SUBCASE("ping: every client pings once a second and every ping is answered") {
    auto run = run_bench(dir, server, {"--mode", "ping"});
    check_common(run, "ping");
    CHECK(run.num("sent") >= kClients - 1);
    CHECK(run.num("sent") <= kClients + 1);
    CHECK(run.num("delivered") == run.num("sent"));
    check_latencies(run);
  }
}

TEST_CASE("e2e bench: accounts the server does not know end the run with a clear message") {
  TempDir dir;
  write_bench_credentials(dir, kClients);
  ServerProcess server(dir);
  auto run = run_bench(dir, server, {"--mode", "idle", "--prefix", "other"});
  CHECK(run.status == 1);
  CHECK(run.fields.empty());
  CHECK(run.errors.find("other00001: login refused") != std::string::npos);
  CHECK(run.errors.find("parley-bench credentials") != std::string::npos);
}

TEST_CASE("e2e bench: parley-write-floor measures loopback writes and prints a whole RESULT line") {
  TempDir dir;
  Process floor(binary("PARLEY_WRITE_FLOOR_BIN"), {"--sockets", "4", "--rate", "100", "--seconds", "0.2"},
                dir / "floor.log");
  auto line = floor.read_line(30s);
  REQUIRE_MESSAGE(line, floor.stderr_text());
  REQUIRE(line->starts_with("RESULT "));
  std::istringstream words(line->substr(7));
  std::string order;
  std::map<std::string, double> fields;
  for (std::string word; words >> word;) {
    auto eq = word.find('=');
    REQUIRE_MESSAGE(eq != std::string::npos, *line);
    order += (order.empty() ? "" : " ") + word.substr(0, eq);
    fields[word.substr(0, eq)] = std::stod(word.substr(eq + 1));
  }
  CHECK(order == "sockets size rate writes us_per_write kernel_us_per_write reader_us_per_write");
  CHECK(fields["sockets"] == 4);
  CHECK(fields["writes"] == 4 * 20);  // 100 rounds a second for 0.2 s, one write per socket each
  CHECK(fields["us_per_write"] >= fields["kernel_us_per_write"]);
  CHECK(fields["reader_us_per_write"] >= 0);
  CHECK(floor.wait_exit(30s) == 0);
}
