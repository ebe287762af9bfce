// Loopback fixtures: a real Server on an ephemeral 127.0.0.1 port in a temp data dir,
// running on its own thread, and synchronous clients over the peer's real
// RegistryClient. Every wait has a deadline, so a broken build fails instead of hanging.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "peer/registry_client.hpp"
#include "server/server.hpp"
#include "tests/support/temp_dir.hpp"

namespace parley::test {

using namespace std::chrono_literals;

inline const std::string kCredentials =
    "alice alice123\nbob bob123\ncarol carol123\ndave dave123\neve eve123\n";

class TestServer {
 public:
  // `adjust` may change the configuration (timeouts) before the server starts.
  explicit TestServer(std::function<void(server::ServerConfig&)> adjust = {});
  // Reuses the data directory of `previous` (stopped first): a restart.
  TestServer(TestServer& previous, std::function<void(server::ServerConfig&)> adjust = {});
  ~TestServer();
  void stop();

  std::uint16_t port() const { return port_; }
  const std::string& fingerprint() const { return fingerprint_; }
  const std::filesystem::path& data_dir() const { return config_.data_dir; }
  // Runs `f` on the server's thread and waits for it.
  void on_server(std::function<void(server::Server&)> f);

 private:
  void launch();

  std::shared_ptr<TempDir> dir_;
  server::ServerConfig config_;
  std::unique_ptr<asio::io_context> io_;
  // The loop keeps running when the server has nothing left to do (after a shutdown),
  // so on_server() still reaches it.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::string fingerprint_;
  std::string start_error_;
};

class TestClient {
 public:
  explicit TestClient(std::uint16_t port);
  ~TestClient();

  // Connects and says hello; returns the error or "".
  std::string connect(std::string expected_fingerprint = "");
  wire::LoginResult login(const std::string& user, const std::string& password,
                          const wire::LinkEndpoint& endpoint = {});
  // connect + login that must succeed.
  void sign_in(const std::string& user, const wire::LinkEndpoint& endpoint = {});
  std::optional<wire::Message> call(wire::Message request, std::chrono::milliseconds timeout = 10s);
  // Only queues: the bytes leave when this client's loop next runs (any call or wait).
  void send(const wire::Message& message) { client_->send(message); }

  // The first event satisfying `match` (earlier non-matching events are kept for later
  // waits), or nullopt after `timeout`.
  std::optional<wire::Message> wait_event(const std::function<bool(const wire::Message&)>& match,
                                          std::chrono::milliseconds timeout = 10s);
  template <class T>
  std::optional<T> wait(const std::function<bool(const T&)>& match = {},
                        std::chrono::milliseconds timeout = 10s) {
    auto m = wait_event(
        [&](const wire::Message& e) {
          auto* t = std::get_if<T>(&e);
          return t && (!match || match(*t));
        },
        timeout);
    if (!m) return std::nullopt;
    return std::get<T>(*m);
  }
  // True if no event matching `match` arrives within `quiet`. Used only to show that
  // something does NOT happen, after a later event proved the earlier ones arrived.
  bool none_pending(const std::function<bool(const wire::Message&)>& match);

  bool wait_closed(std::chrono::milliseconds timeout = 10s);
  bool closed() const { return closed_; }
  const std::string& close_reason() const { return close_reason_; }
  void disconnect();

 private:
  template <class T>
  T run(asio::awaitable<T> task, std::chrono::milliseconds timeout);

  std::uint16_t port_;
  asio::io_context io_;
  std::unique_ptr<peer::RegistryClient> client_;
  std::deque<wire::Message> events_;
  bool closed_ = false;
  std::string close_reason_;
};

}  // namespace parley::test
