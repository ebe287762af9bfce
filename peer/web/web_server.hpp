// The web UI's HTTP side (cpp-httplib: it parses HTTP, we write no parser): the page's
// files, the event stream, the API, and the checks in front of them (web_auth.hpp).
// It runs on threads of its own and reaches the engine only through WebFront.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "peer/engine/config.hpp"
#include "peer/web/event_log.hpp"
#include "peer/web/web_auth.hpp"
#include "peer/web/web_front.hpp"

namespace httplib {
class Server;
}

namespace parley::peer::web {

class WebServer {
 public:
  // Binds at once (throws std::runtime_error if it cannot) and serves on its threads.
  WebServer(const PeerConfig& config, WebFront& front, EventLog& log);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // The address to open, with the one-time secret.
  const std::string& url() const { return url_; }
  std::uint16_t port() const { return port_; }
  void stop();

 private:
  void add_checks();
  void add_routes();
  void add_api();

  const PeerConfig& config_;
  WebFront& front_;
  EventLog& log_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Sessions> sessions_;
  std::string cookie_name_;
  std::uint16_t port_ = 0;
  std::string url_;
  std::thread thread_;
};

}  // namespace parley::peer::web
