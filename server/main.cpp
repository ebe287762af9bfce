// parley-server: flags only; the process is run by run.cpp, the server is server.cpp.
#include <CLI/CLI.hpp>

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
  std::string algorithm = "scrypt";

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
  app.add_option("--credentials", config.credentials, "accounts file: 'username password-or-hash' per line")
      ->capture_default_str();
  app.add_option("--data-dir", config.data_dir, "where the database and TLS key live")->capture_default_str();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  app.add_flag("--allow-signup", config.allow_signup,
               "let a name that is not in the credentials file create an account at its first login");
  app.add_flag("--console", options.console,
               "read operator commands from stdin even when it is not a terminal (it is on for a terminal)");
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

  config.block_duration = std::chrono::seconds(block_duration);
  config.timeout = std::chrono::seconds(timeout);
  config.dead_peer_timeout = std::chrono::seconds(dead_peer);
  return parley::server::run_server(config, options);
}
