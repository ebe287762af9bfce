// parley-peer: flags, then the engine with the terminal (or --json) front end.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "peer/engine/engine.hpp"
#include "peer/shell/shell.hpp"
#include "shared/util/log.hpp"

namespace {

std::filesystem::path default_data_dir() {
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".parley";
  return ".parley";
}

// "host:port", "[v6]:port" or "host".
void split_server(const std::string& server, std::string& host, std::string& port) {
  if (!server.empty() && server.front() == '[') {
    auto close = server.find(']');
    host = server.substr(1, close - 1);
    if (close + 1 < server.size() && server[close + 1] == ':') port = server.substr(close + 2);
    return;
  }
  auto colon = server.rfind(':');
  if (colon == std::string::npos) {
    host = server;
  } else {
    host = server.substr(0, colon);
    port = server.substr(colon + 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  parley::peer::PeerConfig config;
  std::string server;
  std::string password_file;
  std::string log_level = "warn";
  config.data_dir = default_data_dir();

  CLI::App app{"parley-peer: the Parley chat shell"};
  app.footer(
      "Positional form of the original assignment: parley-peer [server_host] [server_port].\n"
      "Password: --password-file, else $PARLEY_PASSWORD, else a prompt (or, when stdin is not a\n"
      "terminal, the second line of stdin; the first is the username unless --user is given).");
  app.add_option("server_host", config.host, "registry server host");
  app.add_option("server_port", config.port, "registry server port");
  app.add_option("--server", server, "registry server as HOST:PORT");
  app.add_option("--user", config.user, "username");
  app.add_option("--password-file", password_file, "file whose first line is the password");
  app.add_option("--data-dir", config.data_dir, "known servers, history (default ~/.parley)");
  app.add_option("--server-fingerprint", config.server_fingerprint,
                 "expected SHA-256 fingerprint of the server certificate (hex, ':' allowed)");
  app.add_option("--p2p-port", config.p2p_port,
                 "port for direct links from other peers (default: any free port)");
  app.add_option("--p2p-bind", config.p2p_bind,
                 "address to listen on for direct links (default: the address used to reach the server)");
  app.add_option("--advertise", config.advertise,
                 "address other peers should dial for direct links (default: the listening address)");
  app.add_option("--share-dir", config.share_dir, "folder whose files you can register (default: .)");
  app.add_option("--download-dir", config.download_dir, "folder for downloaded files (default: ./downloads)");
  std::uint64_t upload_kib = 0;
  app.add_option("--upload-limit", upload_kib, "KiB/s sent to other peers, all together (default: no limit)");
  app.add_flag("--sign-up", config.sign_up,
               "create the account if the name is free and the server allows sign-up (for scripts; "
               "the interactive shell asks)");
  app.add_flag("--json", config.json, "print one JSON object per line for every event and result");
  app.add_option("--log-level", log_level, "diagnostics on stderr: trace, debug, info, warn, error, off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  config.upload_limit = upload_kib * 1024;

  if (!server.empty()) split_server(server, config.host, config.port);
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      std::cerr << "parley-peer: cannot read a password from " << password_file << "\n";
      return 1;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    config.password = line;
  } else if (const char* env = std::getenv("PARLEY_PASSWORD")) {
    config.password = env;
  }
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
