// parley-server as a process: logging, the event loop, signals and the operator
// console around one Server. main.cpp only turns flags into these arguments.
#pragma once

#include <string>

#include "server/server.hpp"

namespace parley::server {

struct RunOptions {
  std::string log_level = "info";
  bool console = false;  // read operator commands from stdin even when it is not a terminal
};

// Serves until a graceful shutdown (SIGINT, SIGTERM, the console's `shutdown`) and
// returns the process's exit status. The first line on stdout says where it listens
// and its certificate fingerprint: scripts and tests read the port from it.
int run_server(const ServerConfig& config, const RunOptions& options);

}  // namespace parley::server
