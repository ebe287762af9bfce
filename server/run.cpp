#include "server/run.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <functional>
#include <iostream>

#include "server/console/console.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/log.hpp"
#include "shared/util/posix.hpp"

namespace parley::server {
namespace {

// Whatever the peers do, a shutdown ends within 5 s: 4 s for the goodbyes to flush, the
// rest for the store.
constexpr std::chrono::milliseconds kShutdownGrace{4000};

}  // namespace

int run_server(const ServerConfig& config, const RunOptions& options) {
  init_logging("parley-server", options.log_level);
  raise_fd_limit();
  try {
    asio::io_context io(1);
    Server server(io, config);
    server.start();
    std::cout << "parley-server listening on " << config.bind << ":" << server.port() << " fingerprint "
              << server.fingerprint() << std::endl;
    spdlog::info("certificate fingerprint (SHA-256) {}", fingerprint_display(server.fingerprint()));

    bool shutting_down = false;
    auto shutdown = [&] {
      shutting_down = true;
      server.shutdown(kShutdownGrace, [&io] { io.stop(); });
    };
    asio::signal_set signals(io, SIGINT, SIGTERM);
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}", signal);
      if (shutting_down) return io.stop();  // asked again: do not wait for anyone
      shutdown();
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    ConsoleInput console(io.get_executor(), ConsoleInput::mode_for_stdin(options.console), server, shutdown);
    console.start();
    io.run();
    console.stop();  // the terminal as it was, before anything else is printed
    return 0;
  } catch (const std::exception& e) {
    route_logs({});
    spdlog::critical("{}", e.what());
    std::cerr << "parley-server: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace parley::server
