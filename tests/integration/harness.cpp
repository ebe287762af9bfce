#include "tests/integration/harness.hpp"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <future>
#include <stdexcept>

namespace parley::test {

TestServer::TestServer(std::function<void(server::ServerConfig&)> adjust)
    : dir_(std::make_shared<TempDir>()) {
  write_text(*dir_ / "credentials.txt", kCredentials);
  config_.port = 0;
  config_.credentials = *dir_ / "credentials.txt";
  config_.data_dir = *dir_ / "data";
  config_.password_workers = 2;
  if (adjust) adjust(config_);
  launch();
}

TestServer::TestServer(TestServer& previous, std::function<void(server::ServerConfig&)> adjust)
    : dir_(previous.dir_), config_(previous.config_) {
  previous.stop();
  config_.port = 0;
  if (adjust) adjust(config_);
  launch();
}

void TestServer::launch() {
  io_ = std::make_unique<asio::io_context>(1);
  work_.emplace(io_->get_executor());
  server_ = std::make_unique<server::Server>(*io_, config_);
  server_->start();
  port_ = server_->port();
  fingerprint_ = server_->fingerprint();
  thread_ = std::thread([this] { io_->run(); });
}

void TestServer::on_server(std::function<void(server::Server&)> f) {
  std::promise<void> done;
  asio::post(*io_, [&] {
    f(*server_);
    done.set_value();
  });
  done.get_future().wait();
}

void TestServer::stop() {
  if (!thread_.joinable()) return;
  on_server([](server::Server& s) { s.stop(); });
  work_.reset();
  io_->stop();
  thread_.join();
  server_.reset();
  io_.reset();
}

TestServer::~TestServer() { stop(); }

TestClient::TestClient(std::uint16_t port) : port_(port) {
  client_ = std::make_unique<peer::RegistryClient>(
      io_.get_executor(), peer::RegistryClient::Handlers{
                              .on_event = [this](wire::Message&& m) { events_.push_back(std::move(m)); },
                              .on_close =
                                  [this](const std::string& reason) {
                                    closed_ = true;
                                    close_reason_ = reason;
                                  }});
}

TestClient::~TestClient() {
  client_.reset();
  io_.run_for(100ms);  // let the socket close cleanly
}

template <class T>
T TestClient::run(asio::awaitable<T> task, std::chrono::milliseconds timeout) {
  std::optional<T> result;
  asio::co_spawn(io_, std::move(task), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    result = std::move(value);
  });
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!result && std::chrono::steady_clock::now() < deadline) {
    io_.restart();
    io_.run_one_for(deadline - std::chrono::steady_clock::now());
  }
  if (!result) throw std::runtime_error("test client: operation timed out");
  return std::move(*result);
}

std::string TestClient::connect(std::string expected) {
  return run(client_->connect("127.0.0.1", std::to_string(port_),
                              [expected](const std::string& fp) -> std::string {
                                if (expected.empty() || fp == expected) return {};
                                return "fingerprint mismatch";
                              }),
             15s);
}

wire::LoginResult TestClient::login(const std::string& user, const std::string& password,
                                    const wire::LinkEndpoint& endpoint) {
  auto reply = call(wire::Login{0, user, password, endpoint}, 15s);
  if (!reply || !std::holds_alternative<wire::LoginResult>(*reply))
    throw std::runtime_error("no LoginResult for " + user);
  return std::get<wire::LoginResult>(*reply);
}

void TestClient::sign_in(const std::string& user, const wire::LinkEndpoint& endpoint) {
  if (auto error = connect(); !error.empty()) throw std::runtime_error("connect: " + error);
  auto result = login(user, user + "123", endpoint);
  if (result.status != wire::Status::ok) throw std::runtime_error("login " + user + ": " + result.message);
}

std::optional<wire::Message> TestClient::call(wire::Message request, std::chrono::milliseconds timeout) {
  return run(client_->call(request, timeout), timeout + 1s);
}

std::optional<wire::Message> TestClient::wait_event(const std::function<bool(const wire::Message&)>& match,
                                                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      if (match(*it)) {
        wire::Message m = std::move(*it);
        events_.erase(it);
        return m;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    io_.restart();
    io_.run_one_for(deadline - now);
  }
}

bool TestClient::none_pending(const std::function<bool(const wire::Message&)>& match) {
  io_.restart();
  io_.poll();
  for (const auto& e : events_)
    if (match(e)) return false;
  return true;
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && std::chrono::steady_clock::now() < deadline) {
    io_.restart();
    io_.run_one_for(deadline - std::chrono::steady_clock::now());
  }
  return closed_;
}

void TestClient::disconnect() {
  client_->close("test disconnect");
  io_.restart();
  io_.poll();
}

}  // namespace parley::test
