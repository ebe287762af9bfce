// parley-peer: options (options.cpp), then the engine with its front ends: the terminal
// (or --json) shell, the web UI (--web), or the web UI alone (--no-shell).
#include <unistd.h>

#include <asio/io_context.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "peer/engine/engine.hpp"
#include "peer/json/json_view.hpp"
#include "peer/options.hpp"
#include "peer/shell/shell.hpp"
#include "peer/web/web_ui.hpp"
#include "shared/util/log.hpp"

int main(int argc, char** argv) {
  parley::peer::PeerConfig config;
  std::string log_level = "warn";
  if (auto exit_code = parley::peer::parse_options(argc, argv, parley::peer::Environment::from_process(),
                                                   config, log_level, std::cout, std::cerr))
    return *exit_code;
  config.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !config.json && !config.no_shell;
  config.color = config.interactive && std::getenv("NO_COLOR") == nullptr;

  parley::init_logging("parley-peer", log_level);
  try {
    asio::io_context io(1);
    parley::peer::Engine engine(io, config);
    std::unique_ptr<parley::peer::web::WebUi> web;
    if (!config.web_port.empty()) {
      web = std::make_unique<parley::peer::web::WebUi>(io, engine);
      if (config.json)
        std::cout << parley::peer::json_line({{"type", "web"}, {"url", web->url()}}) << std::endl;
      else
        std::cout << "web UI: " << web->url() << std::endl;
    }
    if (web && config.no_shell) return web->run();
    parley::peer::Shell shell(io, engine);
    return shell.run();
  } catch (const std::exception& e) {
    std::cerr << "parley-peer: " << e.what() << "\n";
    return 1;
  }
}
