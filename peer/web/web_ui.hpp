// The web UI as one piece for main(): the event log, the engine-side front and the HTTP
// server; and, with --no-shell, the loop a background peer runs in instead of a shell.
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <string>

#include "peer/engine/engine.hpp"
#include "peer/web/event_log.hpp"
#include "peer/web/web_front.hpp"
#include "peer/web/web_server.hpp"

namespace parley::peer::web {

class WebUi {
 public:
  // Listens at once; throws std::runtime_error if it cannot.
  WebUi(asio::io_context& io, Engine& engine);
  const std::string& url() const { return server_.url(); }
  // --no-shell: logs in if a user and password were given, logs events to stderr, and
  // runs until SIGTERM or SIGINT (exit 0) or a logout from the page.
  int run();

 private:
  void on_signal(int signal_number);

  asio::io_context& io_;
  Engine& engine_;
  EventLog log_;
  WebFront front_;
  WebServer server_;
  asio::signal_set signals_;
  bool leaving_ = false;
  int exit_code_ = 0;
};

}  // namespace parley::peer::web
