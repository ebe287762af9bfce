// parley-relay: a relay on its own, for registries that do not run one inside
// (parley-server --relay-at HOST:PORT with the same --relay-secret-file).
#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <fstream>
#include <iostream>

#include "relay/relay.hpp"
#include "shared/util/log.hpp"
#include "shared/util/posix.hpp"

int main(int argc, char** argv) {
  parley::relay::RelayConfig config;
  config.port = 7879;
  std::filesystem::path secret_file, data_dir = "parley-relay-data";
  std::string log_level = "info";
  auto& limits = config.limits;
  double link_kib = limits.link_rate / 1024, total_kib = limits.total_rate / 1024;
  std::int64_t idle_s = limits.idle_ms / 1000;

  CLI::App app{"parley-relay: pairs peers that cannot reach each other and copies their (encrypted) bytes"};
  app.add_option("--port", config.port, "TCP port (0: any free port)")->capture_default_str();
  app.add_option("--bind", config.bind, "address to listen on")->capture_default_str();
  app.add_option("--secret-file", secret_file, "the secret shared with the registry (first line)")
      ->required();
  app.add_option("--data-dir", data_dir, "where the relay's TLS key lives")->capture_default_str();
  app.add_option("--max-links", limits.max_links, "relayed links at once")->capture_default_str();
  app.add_option("--max-per-user", limits.max_per_user, "relayed connections per user")
      ->capture_default_str();
  app.add_option("--link-rate", link_kib, "KiB/s per link and direction (0: no cap)")->capture_default_str();
  app.add_option("--total-rate", total_kib, "KiB/s in all (0: no cap)")->capture_default_str();
  app.add_option("--idle", idle_s, "seconds without a byte before a link is cut")->capture_default_str();
  app.add_option("--capture", config.capture, "tests only: append every relayed byte to this file");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  parley::init_logging("parley-relay", log_level);
  parley::raise_fd_limit();
  try {
    std::ifstream in(secret_file);
    if (!std::getline(in, config.secret) || config.secret.size() < 16)
      throw std::runtime_error("the secret file needs a first line of at least 16 characters");
    limits.link_rate = link_kib * 1024;
    limits.total_rate = total_kib * 1024;
    limits.idle_ms = idle_s * 1000;
    std::filesystem::create_directories(data_dir);
    auto identity = parley::net::load_or_create_identity(data_dir, "relay", "parley-relay");
    asio::io_context io(1);
    parley::relay::Relay relay(io.get_executor(), identity, config);
    auto port = relay.start();
    std::cout << "parley-relay listening on " << config.bind << ":" << port << " fingerprint "
              << relay.fingerprint() << std::endl;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code, int) {
      relay.stop();
      io.stop();
    });
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "parley-relay: " << e.what() << "\n";
    return 1;
  }
}
