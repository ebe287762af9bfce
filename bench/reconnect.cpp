#include "bench/reconnect.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "bench/server_address.hpp"
#include "bench/synthetic_users.hpp"
#include "shared/net/async.hpp"
#include "shared/net/connection.hpp"
#include "shared/net/tls_context.hpp"
#include "shared/util/posix.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/limits.hpp"

namespace parley::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// parley-peer's reconnection policy (peer/engine/registry_session.cpp).
constexpr auto kFirstRetry = 500ms;
constexpr auto kMaxRetry = 30s;
constexpr auto kAnswerTimeout = 30s;
constexpr auto kHeartbeatEvery = 5s;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class Storm {
 public:
  Storm(const ReconnectOptions& options, const std::function<void()>& ready);
  ReconnectResult run();

 private:
  struct Client {
    std::string user;
    std::string token;
    std::shared_ptr<net::Connection> connection;
    std::unique_ptr<net::AsyncEvent> changed;  // a Welcome, a LoginResult, or the close
    bool welcomed = false;
    bool closed = false;
    bool up = false;
    std::optional<wire::LoginResult> reply;
  };

  asio::awaitable<void> lifecycle(std::size_t index);
  asio::awaitable<bool> attempt(std::size_t index, bool resume);
  asio::awaitable<bool> await_change(Client& client, const std::function<bool()>& done);
  asio::awaitable<void> heartbeats();
  void on_frame(std::size_t index, std::span<const std::uint8_t> payload);
  void on_up(std::size_t index, bool first);
  void on_down();
  void fail(std::string why);
  void stop();

  const ReconnectOptions options_;
  const std::function<void()>& ready_;
  asio::ssl::context tls_;
  asio::io_context io_{1};
  asio::ip::tcp::endpoint endpoint_;
  std::vector<Client> clients_;
  net::AsyncEvent gate_{io_.get_executor()};  // a first-login slot came free
  std::size_t in_flight_ = 0;
  std::mt19937_64 random_{std::random_device{}()};
  wire::SharedFrame hello_, heartbeat_;

  std::size_t logged_in_ = 0;
  std::size_t back_ = 0;
  bool storm_ = false;  // the ready signal was given: losses from now on are the restart
  bool stopping_ = false;
  Clock::time_point start_, ready_at_, first_loss_, first_back_, all_back_;
  ReconnectResult result_;
  std::string error_;
};

Storm::Storm(const ReconnectOptions& options, const std::function<void()>& ready)
    : options_(options), ready_(ready), tls_(net::make_client_context()) {
  if (auto problem = prefix_problem(options_.prefix, options_.clients); !problem.empty())
    throw std::runtime_error(problem);
  const auto descriptors = raise_fd_limit();
  if (descriptors != RLIM_INFINITY && descriptors < options_.clients + 32)
    throw std::runtime_error(fmt::format("{} clients need more file descriptors than the limit of {}",
                                         options_.clients, descriptors));
  endpoint_ = resolve_server(io_, options_.host, options_.port);
  clients_.resize(options_.clients);
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    clients_[i].user = user_name(options_.prefix, i + 1);
    clients_[i].changed = std::make_unique<net::AsyncEvent>(io_.get_executor());
  }
  hello_ = wire::make_frame(wire::Message{wire::Hello{wire::kProtocolVersion, "parley-bench/reconnect"}});
  heartbeat_ = wire::make_frame(wire::Message{wire::Heartbeat{}});
  result_.clients = options_.clients;
  result_.resume = options_.resume;
}

ReconnectResult Storm::run() {
  start_ = Clock::now();
  for (std::size_t i = 0; i < clients_.size(); ++i)
    asio::co_spawn(io_, lifecycle(i), net::LogExceptions{"client"});
  asio::co_spawn(io_, heartbeats(), net::LogExceptions{"heartbeats"});
  asio::steady_timer limit(
      io_, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.timeout_s)));
  limit.async_wait([this](std::error_code ec) {
    if (!ec)
      fail(fmt::format("not all back within {} s ({} of {})", options_.timeout_s, back_, clients_.size()));
  });
  io_.run();
  for (auto& client : clients_)
    if (client.connection) client.connection->abandon();
  if (!error_.empty()) throw std::runtime_error(error_);
  result_.login_s = seconds(ready_at_ - start_);
  result_.outage_s = seconds(first_back_ - first_loss_);
  result_.storm_s = seconds(all_back_ - first_back_);
  result_.total_s = seconds(all_back_ - first_loss_);
  return result_;
}

// One client for the whole run: log in, and whenever the connection is lost, come back.
asio::awaitable<void> Storm::lifecycle(std::size_t index) {
  Client& client = clients_[index];
  bool first = true;
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstRetry);
  while (!stopping_) {
    if (first) {
      while (in_flight_ >= options_.logins_in_flight) co_await gate_.wait();
      ++in_flight_;
    }
    const bool resume = !first && options_.resume && !client.token.empty();
    const bool ok = co_await attempt(index, resume);
    if (first) {
      --in_flight_;
      gate_.notify();
    }
    if (ok) {
      on_up(index, first);
      first = false;
      delay = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstRetry);
      while (!client.closed && !stopping_) co_await client.changed->wait();
      client.up = false;
      if (stopping_) co_return;
      on_down();
    } else {
      if (storm_) ++result_.refusals;
      delay = std::min<std::chrono::milliseconds>(delay * 2, kMaxRetry);
    }
    asio::steady_timer pause(io_);
    pause.expires_after(delay + std::chrono::milliseconds(random_() % (delay.count() / 2 + 1)));
    co_await pause.async_wait(net::use_nothrow);
  }
}

asio::awaitable<bool> Storm::await_change(Client& client, const std::function<bool()>& done) {
  const auto deadline = Clock::now() + kAnswerTimeout;
  while (!done() && !client.closed && !stopping_) {
    const bool notified = co_await client.changed->wait(deadline);
    if (!notified) break;
  }
  co_return done();
}

asio::awaitable<bool> Storm::attempt(std::size_t index, bool resume) {
  Client& client = clients_[index];
  if (storm_) ++result_.attempts;
  asio::ip::tcp::socket socket(io_);
  auto [connect_error] = co_await socket.async_connect(endpoint_, net::use_nothrow);
  if (connect_error) co_return false;
  client.welcomed = client.closed = client.up = false;
  client.reply.reset();
  client.connection = std::make_shared<net::Connection>(net::TlsStream(std::move(socket), tls_),
                                                        net::ConnectionLimits{.max_frame = wire::kMaxFrame});
  client.connection->start(
      net::Role::client, {.on_handshake = nullptr,
                          .on_frame = [this, index](std::span<const std::uint8_t> p) { on_frame(index, p); },
                          .on_close =
                              [this, index, connection = client.connection.get()](const std::string&) {
                                Client& c = clients_[index];
                                if (c.connection.get() != connection) return;  // an older one
                                c.closed = true;
                                c.changed->notify();
                              }});
  client.connection->send(hello_);
  const bool welcomed = co_await await_change(client, [&] { return client.welcomed; });
  if (!welcomed) co_return false;
  const wire::Message login =
      resume ? wire::Message{wire::Resume{1, client.user, client.token, {}}}
             : wire::Message{wire::Login{1, client.user, password_of(client.user), {}, false}};
  client.connection->send(login);
  const bool answered = co_await await_change(client, [&] { return client.reply.has_value(); });
  if (!answered) co_return false;
  const wire::LoginResult reply = std::move(*client.reply);
  if (reply.status == wire::Status::ok) {
    if (!reply.resume_token.empty()) client.token = reply.resume_token;
    co_return true;
  }
  client.connection->close("refused");
  if (reply.status == wire::Status::token_refused) {
    ++result_.tokens_refused;
    client.token.clear();  // the next attempt uses the password
  } else if (reply.status != wire::Status::unavailable && reply.status != wire::Status::internal &&
             reply.status != wire::Status::already_logged_in && reply.status != wire::Status::rate_limited) {
    fail(fmt::format("{}: login refused for good: {}", client.user, reply.message));
  }
  co_return false;
}

void Storm::on_frame(std::size_t index, std::span<const std::uint8_t> payload) {
  Client& client = clients_[index];
  if (client.up) return;  // presence and the like: not what is measured, not even decoded
  auto decoded = wire::decode(payload);
  if (!decoded.message) return;
  if (std::holds_alternative<wire::Welcome>(*decoded.message)) {
    client.welcomed = true;
  } else if (auto* reply = std::get_if<wire::LoginResult>(&*decoded.message)) {
    client.reply = std::move(*reply);
  } else {
    return;
  }
  client.changed->notify();
}

void Storm::on_up(std::size_t index, bool first) {
  clients_[index].up = true;
  if (first) {
    if (++logged_in_ == clients_.size()) {
      ready_at_ = Clock::now();
      spdlog::info("{} clients logged in in {:.1f} s", logged_in_, seconds(ready_at_ - start_));
      storm_ = true;
      ready_();
    }
    return;
  }
  if (back_++ == 0) first_back_ = Clock::now();
  if (back_ == clients_.size()) {
    all_back_ = Clock::now();
    stop();
  }
}

void Storm::on_down() {
  if (!storm_) return fail("a connection was lost before the restart");
  if (first_loss_ == Clock::time_point{}) first_loss_ = Clock::now();
}

asio::awaitable<void> Storm::heartbeats() {
  asio::steady_timer timer(io_);
  while (!stopping_) {
    timer.expires_after(kHeartbeatEvery);
    co_await timer.async_wait(net::use_nothrow);
    for (auto& client : clients_)
      if (client.up && client.connection) client.connection->send(heartbeat_);
  }
}

void Storm::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  stop();
}

void Storm::stop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& client : clients_)
    if (client.connection) client.connection->close("bench done");
  io_.stop();
}

}  // namespace

ReconnectResult run_reconnect(const ReconnectOptions& options, const std::function<void()>& ready) {
  Storm storm(options, ready);
  return storm.run();
}

std::string format_reconnect_line(const ReconnectResult& r) {
  return fmt::format(
      "RESULT mode=reconnect via={} clients={} login_s={:.2f} outage_s={:.2f} storm_s={:.2f} total_s={:.2f} "
      "attempts={} refusals={} tokens_refused={}",
      r.resume ? "token" : "password", r.clients, r.login_s, r.outage_s, r.storm_s, r.total_s, r.attempts,
      r.refusals, r.tokens_refused);
}

}  // namespace parley::bench
