// parley-peer: options (options.cpp), then the engine with its terminal (or --json) front end.
#include <unistd.h>

#include <asio/io_context.hpp>
#include <cstdlib>
#include <iostream>

#include "peer/engine/engine.hpp"
#include "peer/options.hpp"
#include "peer/shell/shell.hpp"
#include "shared/util/log.hpp"

int main(int argc, char** argv) {
  parley::peer::PeerConfig config;
  std::string log_level = "warn";
  if (auto exit_code = parley::peer::parse_options(argc, argv, parley::peer::Environment::from_process(),
                                                   config, log_level, std::cout, std::cerr))
    return *exit_code;
  config.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !config.json;
  config.color = config.interactive && std::getenv("NO_COLOR") == nullptr;

  parley::init_logging("parley-peer", log_level);
  try {
    asio::io_context io(1);
    parley::peer::Engine engine(io, config);
    parley::peer::Shell shell(io, engine);
    return shell.run();
  } catch (const std::exception& e) {
    std::cerr << "parley-peer: " << e.what() << "\n";
    return 1;
  }
}
