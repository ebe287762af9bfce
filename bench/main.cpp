// parley-bench: flags only; the load generator lives in load_generator.cpp.
#include <CLI/CLI.hpp>
#include <iostream>

#include "bench/load_generator.hpp"
#include "bench/reconnect.hpp"
#include "bench/result_line.hpp"
#include "bench/synthetic_users.hpp"
#include "shared/util/log.hpp"

namespace {

int run_reconnect(const parley::bench::Options& load, bool resume, const std::string& log_level) {
  parley::init_logging("parley-bench", log_level);
  parley::bench::ReconnectOptions options{.host = load.host,
                                          .port = load.port,
                                          .clients = load.clients,
                                          .prefix = load.prefix,
                                          .logins_in_flight = load.logins_in_flight,
                                          .resume = resume};
  try {
    auto result = parley::bench::run_reconnect(options, [] { std::cout << "READY" << std::endl; });
    std::cout << parley::bench::format_reconnect_line(result) << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  parley::bench::Options options;
  std::string log_level = "info";
  int server_pid = 0;
  std::size_t credential_count = 0;
  std::string credential_prefix = "bench";

  CLI::App app{
      "parley-bench: a load generator for parley-server. Logs in N synthetic users over TLS (one thread), "
      "runs "
      "one workload for --seconds after a --warmup, and prints one RESULT line on stdout."};
  app.footer(
      "Modes: private (--window W messages in flight per client, closed loop), fanout (one client "
      "broadcasts\n"
      "--rate R messages/s), idle (heartbeats only), ping (every client pings once a second),\n"
      "reconnect (prints READY once all are logged in, then waits for a server restart and measures how\n"
      "long until all are back; bench/reconnect-bench.sh does the restart).\n"
      "Accounts: parley-bench credentials --clients N [--prefix P] > creds.txt, then\n"
      "parley-server --credentials creds.txt.");
  std::string mode_name;
  auto* mode_opt = app.add_option("--mode", mode_name, "private, fanout, idle, ping or reconnect")
                       ->check(CLI::IsMember({"private", "fanout", "idle", "ping", "reconnect"}));
  std::string reconnect_with = "token";
  app.add_option("--reconnect-with", reconnect_with, "reconnect: come back with the token or the password")
      ->capture_default_str()
      ->check(CLI::IsMember({"token", "password"}));
  app.add_option("--host", options.host, "server address")->capture_default_str();
  app.add_option("--port", options.port, "server port")->capture_default_str()->check(CLI::Range(1, 65535));
  app.add_option("--clients", options.clients, "users to log in")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--window", options.window, "private: messages in flight per client")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  app.add_option("--rate", options.rate, "fanout: broadcasts per second")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e6));
  app.add_option("--seconds", options.seconds, "length of the measured window")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 86400.0));
  app.add_option("--warmup", options.warmup, "seconds of traffic before the window, not counted")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--prefix", options.prefix, "user names are <prefix>00001, <prefix>00002, ...")
      ->capture_default_str();
  app.add_option("--size", options.size, "chat text bytes")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--logins-in-flight", options.logins_in_flight, "logins under way at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  auto* pid_opt = app.add_option("--server-pid", server_pid,
                                 "server process to read CPU time and memory from (/proc/PID)")
                      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (stderr)")
      ->capture_default_str();

  auto* credentials =
      app.add_subcommand("credentials", "print a credentials file for the server's --credentials");
  credentials->add_option("--clients", credential_count, "accounts")
      ->required()
      ->check(CLI::Range(1, 1'000'000));
  credentials->add_option("--prefix", credential_prefix, "user name prefix")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (*credentials) {
    if (auto problem = parley::bench::prefix_problem(credential_prefix, credential_count); !problem.empty()) {
      std::cerr << "parley-bench: " << problem << "\n";
      return 2;
    }
    std::cout << parley::bench::credentials_text(credential_prefix, credential_count) << std::flush;
    return 0;
  }
  if (!*mode_opt) {
    std::cerr << "parley-bench: --mode is required (private, fanout, idle or ping); see --help\n";
    return 2;
  }
  if (mode_name == "reconnect") return run_reconnect(options, reconnect_with == "token", log_level);
  options.mode = *parley::bench::parse_mode(mode_name);
  if (*pid_opt) options.server_pid = server_pid;

  parley::init_logging("parley-bench", log_level);
  try {
    auto measured = parley::bench::run_load(options);
    std::cout << parley::bench::format_result_line(measured) << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: " << e.what() << "\n";
    return 1;
  }
}
