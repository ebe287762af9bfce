// parley-server: flags only; the process is run by run.cpp, the server is server.cpp.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "server/auth/hash_command.hpp"
#include "server/limit_flags.hpp"
#include "server/run.hpp"

int main(int argc, char** argv) {
  parley::server::ServerConfig config;
  parley::server::RunOptions options;
  config.port = 7878;
  std::int64_t block_duration = config.block_duration.count();
  std::int64_t timeout = config.timeout.count();
  std::int64_t dead_peer = config.dead_peer_timeout.count();
  std::int64_t ack_grace = config.ack_grace.count();
  std::string algorithm = "scrypt";
  std::int64_t token_days = config.token_lifetime.count() / (24 * 3600);
  double presence_grace = static_cast<double>(config.presence_grace.count()) / 1000;

  CLI::App app{"parley-server: the Parley registry (logins, presence, relayed chat, offline messages)"};
  app.footer(
      "Positional form of the original assignment: parley-server [port] [block_duration] [timeout].\n"
      "Subcommand: parley-server hash-password [--algorithm scrypt|pbkdf2] reads a password on stdin and\n"
      "prints a hash to put in the credentials file instead of the plaintext password (asked twice on a\n"
      "terminal).");
  app.add_option("port", config.port, "TCP port to listen on (0: any free port)");
  app.add_option("block_duration", block_duration, "seconds an account stays locked after 3 failed logins");
  app.add_option("timeout", timeout, "seconds without a command before a user is logged out");
  app.add_option("--port", config.port, "TCP port to listen on (0: any free port)")->capture_default_str();
  app.add_option("--bind", config.bind, "address to listen on")->capture_default_str();
  app.add_option("--block-duration", block_duration, "seconds an account stays locked after 3 failed logins")
      ->capture_default_str()
      ->check(CLI::Range(0, 365 * 24 * 3600));
  app.add_option("--timeout", timeout, "seconds without a command before a user is logged out")
      ->capture_default_str()
      ->check(CLI::Range(1, 365 * 24 * 3600));
  app.add_option("--dead-peer-timeout", dead_peer,
                 "seconds of silence (no heartbeat) after which a connection is presumed dead")
      ->capture_default_str()
      ->check(CLI::Range(1, 29));
  app.add_option(
         "--ack-grace-ms", ack_grace,
         "milliseconds a message to an online user waits for its acknowledgement before it is written "
         "to disk (acknowledged sooner: never written)")
      ->capture_default_str()
      ->check(CLI::Range(0, 60'000));
  app.add_option("--token-days", token_days,
                 "days a session resumption token stays valid (revoked sooner by logout, a password change "
                 "or kick)")
      ->capture_default_str()
      ->check(CLI::Range(1, 365));
  app.add_option("--presence-grace", presence_grace,
                 "seconds a dropped connection's 'offline' waits for the user to come back (0: at once)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 300.0));
  app.add_option("--credentials", config.credentials, "accounts file: 'username password-or-hash' per line")
      ->capture_default_str();
  app.add_option("--data-dir", config.data_dir, "where the database and TLS key live")->capture_default_str();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  app.add_flag("--allow-signup", config.allow_signup,
               "let a name that is not in the credentials file create an account at its first login");
  app.add_flag("--console", options.console,
               "read operator commands from stdin even when it is not a terminal (it is on for a terminal)");
  // ---- NAT traversal ----
  std::uint16_t relay_port = 0;
  bool no_relay = false, no_check = false;
  std::string force_path;
  std::filesystem::path secret_file;
  auto& limits = config.relay_limits;
  double link_kib = limits.link_rate / 1024, total_kib = limits.total_rate / 1024;
  std::int64_t relay_idle = limits.idle_ms / 1000;
  app.add_option("--relay-port", relay_port, "port of the relay run in this process (0: any free port)")
      ->capture_default_str();
  app.add_flag("--no-relay", no_relay, "run no relay: peers that are both behind NAT cannot link");
  app.add_option("--relay-host", config.relay_host, "address peers dial for the relay (default: --bind)");
  app.add_option("--relay-at", config.relay_at, "HOST:PORT of a parley-relay to use instead of our own");
  app.add_option("--relay-fingerprint", config.relay_fingerprint, "that relay's certificate fingerprint");
  app.add_option("--relay-secret-file", secret_file, "the secret shared with that relay (first line)");
  app.add_option("--relay-max-links", limits.max_links, "relayed links at once")->capture_default_str();
  app.add_option("--relay-max-per-user", limits.max_per_user, "relayed connections per user")
      ->capture_default_str();
  app.add_option("--relay-link-rate", link_kib, "relay KiB/s per link and direction (0: no cap)")
      ->capture_default_str();
  app.add_option("--relay-total-rate", total_kib, "relay KiB/s in all (0: no cap)")->capture_default_str();
  app.add_option("--relay-idle", relay_idle, "seconds without a byte before a relayed link is cut")
      ->capture_default_str();
  app.add_option("--relay-capture", config.relay_capture,
                 "tests only: append every relayed byte to this file");
  app.add_flag("--no-reachability-check", no_check, "do not dial peers' advertised addresses at login");
  app.add_option("--force-path", force_path, "tests and benchmarks: every link takes this path")
      ->check(CLI::IsMember({"direct", "reverse", "relay"}));
  parley::server::add_limit_flags(app, config);
  auto* hash_cmd = app.add_subcommand("hash-password", "print a salted hash of a password read from stdin");
  hash_cmd->add_option("--algorithm", algorithm, "scrypt or pbkdf2")
      ->capture_default_str()
      ->check(CLI::IsMember({"scrypt", "pbkdf2"}));
  CLI11_PARSE(app, argc, argv);

  if (*hash_cmd)
    return parley::server::hash_password_command(algorithm == "pbkdf2"
                                                     ? parley::server::HashAlgorithm::pbkdf2_sha256
                                                     : parley::server::HashAlgorithm::scrypt);

  if (!no_relay && config.relay_at.empty()) config.relay_port = relay_port;
  if (!secret_file.empty()) {
    std::ifstream in(secret_file);
    if (!std::getline(in, config.relay_secret) || config.relay_secret.size() < 16) {
      std::cerr << "parley-server: " << secret_file << " needs a first line of at least 16 characters\n";
      return 2;
    }
  }
  limits.link_rate = link_kib * 1024;
  limits.total_rate = total_kib * 1024;
  limits.idle_ms = relay_idle * 1000;
  config.probe_reachability = !no_check;
  if (force_path == "direct") config.force_path = parley::wire::LinkPath::direct;
  if (force_path == "reverse") config.force_path = parley::wire::LinkPath::reverse;
  if (force_path == "relay") config.force_path = parley::wire::LinkPath::relay;
  config.block_duration = std::chrono::seconds(block_duration);
  config.timeout = std::chrono::seconds(timeout);
  config.dead_peer_timeout = std::chrono::seconds(dead_peer);
  config.ack_grace = std::chrono::milliseconds(ack_grace);
  config.token_lifetime = std::chrono::seconds(token_days * 24 * 3600);
  config.presence_grace = std::chrono::milliseconds(static_cast<std::int64_t>(presence_grace * 1000));
  return parley::server::run_server(config, options);
}
