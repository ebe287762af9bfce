// parley-server: flags only; the server itself lives in server.cpp.
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <iostream>
#include <memory>

#include "server/auth/password.hpp"
#include "server/console.hpp"
#include "server/server.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/log.hpp"

namespace {

// Many peers means many sockets: use every file descriptor the hard limit allows.
void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::string read_secret(const std::string& prompt) {
  bool tty = isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  return line;
}

int hash_password_command(const std::string& algorithm) {
  std::string password = read_secret("password: ");
  if (password.empty()) {
    std::cerr << "parley-server: empty password\n";
    return 1;
  }
  auto algo = algorithm == "pbkdf2" ? parley::server::HashAlgorithm::pbkdf2_sha256
                                    : parley::server::HashAlgorithm::scrypt;
  std::cout << parley::server::hash_password(password, algo) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  parley::server::ServerConfig config;
  config.port = 7878;
  std::int64_t block_duration = config.block_duration.count();
  std::int64_t timeout = config.timeout.count();
  std::int64_t dead_peer = config.dead_peer_timeout.count();
  std::string log_level = "info";
  std::string algorithm = "scrypt";

  CLI::App app{"parley-server: the Parley registry (logins, presence, relayed chat, offline messages)"};
  app.footer(
      "Positional form of the original assignment: parley-server [port] [block_duration] [timeout].\n"
      "Subcommand: parley-server hash-password [--algorithm scrypt|pbkdf2] reads a password on stdin and\n"
      "prints a hash to put in the credentials file instead of the plaintext password.");
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
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_flag("--allow-signup", config.allow_signup,
               "let a name that is not in the credentials file create an account at its first login");
  bool console_flag = false;
  app.add_flag("--console", console_flag,
               "read operator commands from stdin even when it is not a terminal (it is on for a terminal)");
  auto* hash_cmd = app.add_subcommand("hash-password", "print a salted hash of a password read from stdin");
  hash_cmd->add_option("--algorithm", algorithm, "scrypt or pbkdf2")
      ->capture_default_str()
      ->check(CLI::IsMember({"scrypt", "pbkdf2"}));
  CLI11_PARSE(app, argc, argv);

  if (*hash_cmd) return hash_password_command(algorithm);

  config.block_duration = std::chrono::seconds(block_duration);
  config.timeout = std::chrono::seconds(timeout);
  config.dead_peer_timeout = std::chrono::seconds(dead_peer);
  parley::init_logging("parley-server", log_level);
  raise_fd_limit();

  try {
    asio::io_context io(1);
    parley::server::Server server(io, config);
    server.start();
    // One machine-readable line on stdout: scripts and tests read the port from it.
    std::cout << "parley-server listening on " << config.bind << ":" << server.port() << " fingerprint "
              << server.fingerprint() << std::endl;
    spdlog::info("certificate fingerprint (SHA-256) {}", parley::fingerprint_display(server.fingerprint()));

    // Graceful shutdown (SIGINT, SIGTERM, the console's `shutdown`): stop accepting,
    // tell everyone, let their goodbyes flush, make the store durable, exit 0 — within
    // 5 s whatever the peers do.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer poll(io);
    bool shutting_down = false;
    const auto deadline_at = [&] { return std::chrono::steady_clock::now() + std::chrono::seconds(4); };
    std::chrono::steady_clock::time_point deadline;
    std::function<void()> wait_for_sessions = [&] {
      if (server.session_count() == 0 || std::chrono::steady_clock::now() >= deadline) return io.stop();
      poll.expires_after(std::chrono::milliseconds(20));
      poll.async_wait([&](std::error_code) { wait_for_sessions(); });
    };
    auto shutdown = [&] {
      if (shutting_down) return;
      shutting_down = true;
      spdlog::info("shutting down");
      deadline = deadline_at();
      server.stop();  // tells every session, and waits for the store to be durable
      wait_for_sessions();
    };
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}", signal);
      if (shutting_down) return io.stop();  // a second signal: do not wait for anyone
      shutdown();
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    std::unique_ptr<parley::server::Console> console;
    // Only a terminal this process has in the foreground: a server started with `&` from
    // a shell would otherwise be stopped (SIGTTIN) by its first read.
    const bool foreground_terminal = ::isatty(STDIN_FILENO) && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
    if (console_flag || foreground_terminal) {
      console = std::make_unique<parley::server::Console>(
          io.get_executor(), STDIN_FILENO, server,
          [](const std::string& line) { std::cout << line << std::endl; }, shutdown);
      console->start();
    }
    io.run();
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    std::cerr << "parley-server: " << e.what() << "\n";
    return 1;
  }
}
