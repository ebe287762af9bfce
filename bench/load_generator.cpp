#include "bench/load_generator.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "bench/latency_stats.hpp"
#include "bench/process_stats.hpp"
#include "bench/server_address.hpp"
#include "bench/synthetic_users.hpp"
#include "shared/net/async.hpp"
#include "shared/net/connection.hpp"
#include "shared/net/flush_scheduler.hpp"
#include "shared/net/tls_context.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/util/parse.hpp"
#include "shared/util/posix.hpp"
#include "shared/util/variant_index.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/limits.hpp"

namespace parley::bench {

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::private_chat:
      return "private";
    case Mode::fanout:
      return "fanout";
    case Mode::idle:
      return "idle";
    case Mode::ping:
      return "ping";
  }
  return "?";
}

std::optional<Mode> parse_mode(std::string_view name) {
  for (Mode mode : {Mode::private_chat, Mode::fanout, Mode::idle, Mode::ping})
    if (name == to_string(mode)) return mode;
  return std::nullopt;
}

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kAnswerTimeout = 15s;  // for the Welcome and for each LoginResult
// The server refuses logins as busy while too many password checks are queued; these
// come back quickly, so retry soon, but give up on a server that stays busy (~10 s).
constexpr auto kBusyBackoff = 50ms;
constexpr int kMaxBusyRefusals = 200;
// After the logins every client pings once and waits for its Pong: when the last one is
// back, the server has flushed all it queued for the logins (presence events), so the
// "after connect" memory is a settled one. 10,000 logins fan out 50 million presence
// events, hence the generous bound.
constexpr auto kSettleTimeout = 300s;
// Messages sent in the window but not delivered this long after it count as lost.
constexpr auto kDrainLimit = 5s;
constexpr std::size_t kSpareDescriptors = 32;  // stdio, the resolver, /proc reads
// The server bounds what it queues for us; we need not bound what we queue for it (a
// late fan-out schedule catching up may queue a burst).
constexpr std::size_t kOutboxBytes = 64 * 1024 * 1024;

// Every message's msg_id is "<sender index>-<send time, steady-clock ticks>": the
// receiver needs nothing else to credit the sender and measure the latency on the one
// clock both ends share (this process's).
std::string stamp(std::size_t sender, Clock::time_point sent) {
  return fmt::format("{}-{}", sender, sent.time_since_epoch().count());
}

struct Stamp {
  std::size_t sender = 0;
  Clock::time_point sent;
};

std::optional<Stamp> parse_stamp(std::string_view id) {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto sender = parse_decimal<std::size_t>(id.substr(0, dash));
  const auto ticks = parse_decimal<Clock::rep>(id.substr(dash + 1));
  if (!sender || !ticks) return std::nullopt;
  return Stamp{*sender, Clock::time_point(Clock::duration(*ticks))};
}

class LoadGenerator {
 public:
  explicit LoadGenerator(const Options& options);
  Measurements run();

 private:
  struct Client {
    std::string user;
    std::shared_ptr<net::Connection> connection;
    asio::steady_timer* waiter = nullptr;       // the login step waiting for this client's answer
    std::optional<std::uint32_t> heartbeat_ms;  // from Welcome
    std::optional<wire::LoginResult> login_reply;
    std::uint32_t next_request = 1;
    std::deque<std::pair<std::uint32_t, Clock::time_point>> pings;  // sent, not answered yet
    std::vector<std::int64_t> acks;  // seqs received this loop pass, acknowledged together
  };
  // What the main coroutine is waiting for; events wake it only when that holds.
  enum class Awaiting { nothing, logins, pongs, drain };
  enum class Beat { heartbeat, broadcast, ping };

  asio::awaitable<void> main();
  asio::awaitable<void> login_worker();
  asio::awaitable<std::string> log_in(std::size_t index);
  asio::awaitable<bool> wait_for(Awaiting what, Clock::time_point deadline);
  asio::awaitable<void> sleep_until(Clock::time_point when);
  asio::awaitable<void> paced(Beat what, double per_second);
  bool awaited_done() const;
  void poke();

  void on_frame(std::size_t index, std::span<const std::uint8_t> payload);
  void on_close(std::size_t index, const std::string& reason);
  void on_chat(Client& client, const wire::ChatEvent& event, Clock::time_point now);
  void acknowledge(Client& client, std::int64_t seq);
  void on_pong(Client& client, std::uint32_t request, Clock::time_point now);
  void on_delivery(Clock::time_point sent, Clock::time_point now);
  void start_workload();
  void send_private(std::size_t sender);
  void send_broadcast();
  void send_ping(std::size_t index);
  void beat(Beat what, std::uint64_t i);
  std::uint32_t next_request(Client& client);
  void fail(std::string why);
  void finish();
  // co_spawn completion: an exception escaping a coroutine ends the run with its message.
  auto fail_on_exception() {
    return [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        fail(fmt::format("unexpected error: {}", ex.what()));
      }
    };
  }

  const Options options_;
  // Outlives io_: the TLS streams torn down with io_'s pending work refer to it.
  asio::ssl::context tls_;
  asio::io_context io_{1};
  asio::ip::tcp::endpoint endpoint_;
  std::vector<Client> clients_;
  wire::SharedFrame hello_frame_;
  wire::SharedFrame heartbeat_frame_;
  std::string text_;
  std::mt19937_64 random_{20240601};

  std::size_t next_login_ = 0;
  std::size_t logged_in_ = 0;
  std::size_t workers_running_ = 0;
  std::size_t pings_unanswered_ = 0;
  Awaiting awaiting_ = Awaiting::nothing;
  asio::steady_timer wake_main_{io_};

  bool sending_ = false;      // the workload runs (warm-up and window)
  bool window_open_ = false;  // the window has started; messages sent from now on count
  bool finished_ = false;
  Clock::time_point window_start_;
  std::uint64_t sent_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t expected_ = std::numeric_limits<std::uint64_t>::max();
  LatencyHistogram latencies_;

  std::string error_;
  Measurements result_;
};

LoadGenerator::LoadGenerator(const Options& options)
    : options_(options), tls_(net::make_client_context()), text_(options.size, 'x') {
  if (auto problem = prefix_problem(options_.prefix, options_.clients); !problem.empty())
    throw std::runtime_error(problem);
  if (options_.clients == 0) throw std::runtime_error("--clients must be at least 1");
  if ((options_.mode == Mode::private_chat || options_.mode == Mode::fanout) && options_.clients < 2)
    throw std::runtime_error(fmt::format("--mode {} needs at least 2 clients", to_string(options_.mode)));
  if (options_.size == 0 || options_.size > wire::kMaxText)
    throw std::runtime_error(fmt::format("--size must be 1 to {} bytes", wire::kMaxText));
  // One thread plays every client and pays the same per-write cost as the server: its
  // output gathers as the server's does, so that it is not the bottleneck.
  asio::use_service<net::FlushScheduler>(io_).set_bounds(net::kRelayFlushBounds);

  const auto descriptors = raise_fd_limit();
  if (descriptors != RLIM_INFINITY && descriptors < options_.clients + kSpareDescriptors) {
    throw std::runtime_error(
        fmt::format("{} clients need {} file descriptors, but the limit is {} (ulimit -Hn)", options_.clients,
                    options_.clients + kSpareDescriptors, descriptors));
  }
  if (options_.server_pid && !process_cpu_seconds(*options_.server_pid))
    throw std::runtime_error(
        fmt::format("cannot read /proc/{}/stat: is --server-pid right?", *options_.server_pid));

  endpoint_ = resolve_server(io_, options_.host, options_.port);

  clients_.resize(options_.clients);
  for (std::size_t i = 0; i < clients_.size(); ++i) clients_[i].user = user_name(options_.prefix, i + 1);
  hello_frame_ = wire::make_frame(wire::Message{wire::Hello{wire::kProtocolVersion, "parley-bench/0.1"}});
  heartbeat_frame_ = wire::make_frame(wire::Message{wire::Heartbeat{}});
}

Measurements LoadGenerator::run() {
  asio::co_spawn(io_, main(), fail_on_exception());
  io_.run();
  // The loop has stopped, so on_close will never run to break the connections' handlers.
  for (auto& client : clients_)
    if (client.connection) client.connection->abandon();
  if (!error_.empty()) throw std::runtime_error(error_);
  if (!finished_) throw std::runtime_error("the event loop stopped before the run finished");
  return result_;
}

asio::awaitable<void> LoadGenerator::main() {
  const auto pid = options_.server_pid;
  if (pid) result_.rss_before_kib = process_rss_kib(*pid);

  // The first client alone: its Welcome says how often everyone must send a heartbeat,
  // and the others may take longer to log in than the server waits for one.
  const auto login_started = Clock::now();
  const std::size_t first = 0;
  std::string first_error = co_await log_in(first);
  if (!first_error.empty()) co_return fail(first_error);
  const double heartbeats_per_s =
      static_cast<double>(clients_.size()) * 1000.0 / std::max<std::uint32_t>(*clients_[0].heartbeat_ms, 100);
  asio::co_spawn(io_, paced(Beat::heartbeat, heartbeats_per_s), fail_on_exception());

  next_login_ = 1;
  workers_running_ = std::min(options_.logins_in_flight, clients_.size() - 1);
  for (std::size_t w = 0; w < workers_running_; ++w) {
    asio::co_spawn(io_, login_worker(), [this](std::exception_ptr e) {
      fail_on_exception()(e);
      --workers_running_;
      poke();
    });
  }
  const auto no_deadline = Clock::time_point::max();  // each login has its own timeouts
  co_await wait_for(Awaiting::logins, no_deadline);
  if (!error_.empty()) co_return;
  spdlog::info("{} clients logged in in {:.1f} s", clients_.size(),
               std::chrono::duration<double>(Clock::now() - login_started).count());

  for (std::size_t i = 0; i < clients_.size(); ++i) send_ping(i);
  const auto settle_deadline = Clock::now() + kSettleTimeout;
  if (!co_await wait_for(Awaiting::pongs, settle_deadline))
    co_return fail(fmt::format("the server did not answer every client's ping within {} s of the logins",
                               std::chrono::duration_cast<std::chrono::seconds>(kSettleTimeout).count()));
  if (pid) result_.rss_after_connect_kib = process_rss_kib(*pid);

  spdlog::info("{} workload: {:.1f} s warm-up, then {:.1f} s measured", to_string(options_.mode),
               options_.warmup, options_.seconds);
  sending_ = true;
  start_workload();
  const auto warmup =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.warmup));
  const auto warmup_end = Clock::now() + warmup;
  co_await sleep_until(warmup_end);

  std::optional<double> server_cpu_start;
  if (pid && !(server_cpu_start = process_cpu_seconds(*pid)))
    co_return fail(fmt::format("the server process {} is gone", *pid));
  const double self_cpu_start = self_cpu_seconds();
  window_start_ = Clock::now();
  window_open_ = true;

  const auto length =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.seconds));
  const auto window_end_due = window_start_ + length;
  co_await sleep_until(window_end_due);

  sending_ = false;
  const auto window_end = Clock::now();
  const double self_cpu_end = self_cpu_seconds();
  std::optional<double> server_cpu_end;
  if (pid && !(server_cpu_end = process_cpu_seconds(*pid)))
    co_return fail(fmt::format("the server process {} is gone", *pid));

  switch (options_.mode) {
    case Mode::fanout:
      expected_ = sent_ * (clients_.size() - 1);
      break;
    case Mode::idle:
      expected_ = 0;
      break;
    case Mode::private_chat:
    case Mode::ping:
      expected_ = sent_;
      break;
  }
  const auto drain_deadline = Clock::now() + kDrainLimit;
  co_await wait_for(Awaiting::drain, drain_deadline);
  if (delivered_ < expected_)
    spdlog::warn("{} of {} deliveries missing {} s after the window", expected_ - delivered_, expected_,
                 std::chrono::duration_cast<std::chrono::seconds>(kDrainLimit).count());

  result_.mode = to_string(options_.mode);
  result_.clients = clients_.size();
  result_.window_s = std::chrono::duration<double>(window_end - window_start_).count();
  result_.sent = sent_;
  result_.delivered = delivered_;
  if (options_.mode != Mode::idle && latencies_.count() > 0) {
    result_.p50_ms = to_ms(latencies_.percentile(50));
    result_.p99_ms = to_ms(latencies_.percentile(99));
    result_.max_ms = to_ms(latencies_.max());
  }
  if (server_cpu_start && server_cpu_end) result_.server_cpu_s = *server_cpu_end - *server_cpu_start;
  result_.loadgen_cpu_s = self_cpu_end - self_cpu_start;
  finish();
}

asio::awaitable<void> LoadGenerator::login_worker() {
  while (next_login_ < clients_.size() && error_.empty()) {
    const std::size_t index = next_login_++;
    std::string error = co_await log_in(index);
    if (!error.empty()) co_return fail(error);
    ++logged_in_;
    if (const std::size_t step = std::max<std::size_t>(clients_.size() / 10, 1000); logged_in_ % step == 0)
      spdlog::info("logged in {}/{}", logged_in_ + 1, clients_.size());
  }
}

asio::awaitable<std::string> LoadGenerator::log_in(std::size_t index) {
  Client& client = clients_[index];
  asio::ip::tcp::socket socket(io_);
  auto [connect_error] = co_await socket.async_connect(endpoint_, net::use_nothrow);
  if (connect_error)
    co_return fmt::format("{}: cannot connect to {}:{}: {}", client.user, options_.host, options_.port,
                          connect_error.message());
  client.connection = std::make_shared<net::Connection>(
      net::TlsStream(std::move(socket), tls_),
      net::ConnectionLimits{.max_frame = wire::kMaxFrame, .max_outbox_bytes = kOutboxBytes});
  // No fingerprint pinning: the bench only ever talks to a server it started itself.
  client.connection->start(
      net::Role::client,
      {.on_handshake = nullptr,
       .on_frame = [this, index](std::span<const std::uint8_t> payload) { on_frame(index, payload); },
       .on_close = [this, index](const std::string& reason) { on_close(index, reason); }});

  asio::steady_timer answer(io_);
  client.waiter = &answer;
  client.connection->send(hello_frame_);
  answer.expires_after(kAnswerTimeout);
  co_await answer.async_wait(net::use_nothrow);
  if (!client.heartbeat_ms) {
    client.waiter = nullptr;
    co_return fmt::format("{}: no Welcome from the server within {} s", client.user, kAnswerTimeout.count());
  }

  for (int busy = 0;;) {
    client.login_reply.reset();
    const wire::Message login =
        wire::Login{next_request(client), client.user, password_of(client.user), wire::LinkEndpoint{}, false};
    client.connection->send(wire::make_frame(login));
    answer.expires_after(kAnswerTimeout);
    co_await answer.async_wait(net::use_nothrow);
    if (!client.login_reply) {
      client.waiter = nullptr;
      co_return fmt::format("{}: no answer to Login within {} s", client.user, kAnswerTimeout.count());
    }
    const wire::LoginResult reply = std::move(*client.login_reply);
    if (reply.status == wire::Status::ok) break;
    if (reply.status == wire::Status::unavailable && ++busy < kMaxBusyRefusals) {
      // Jitter, so the refused do not all come back at once.
      answer.expires_after(kBusyBackoff + std::chrono::milliseconds(random_() % 50));
      co_await answer.async_wait(net::use_nothrow);
      continue;
    }
    client.waiter = nullptr;
    const bool not_ours =
        reply.status == wire::Status::wrong_password || reply.status == wire::Status::unknown_user;
    co_return fmt::format("{}: login refused: {} ({}){}", client.user, reply.message,
                          wire::to_string(reply.status),
                          not_ours ? fmt::format("; start the server with --credentials from `parley-bench "
                                                 "credentials --clients {} --prefix {}`",
                                                 options_.clients, options_.prefix)
                                   : "");
  }
  client.waiter = nullptr;
  co_return std::string{};
}

bool LoadGenerator::awaited_done() const {
  switch (awaiting_) {
    case Awaiting::logins:
      return workers_running_ == 0;
    case Awaiting::pongs:
      return pings_unanswered_ == 0;
    case Awaiting::drain:
      return delivered_ >= expected_;
    case Awaiting::nothing:
      break;
  }
  return false;
}

void LoadGenerator::poke() {
  if (awaiting_ != Awaiting::nothing && awaited_done()) wake_main_.cancel();
}

asio::awaitable<bool> LoadGenerator::wait_for(Awaiting what, Clock::time_point deadline) {
  awaiting_ = what;
  while (!awaited_done() && error_.empty() && Clock::now() < deadline) {
    wake_main_.expires_at(deadline);
    co_await wake_main_.async_wait(net::use_nothrow);
  }
  const bool done = awaited_done() && error_.empty();
  awaiting_ = Awaiting::nothing;
  co_return done;
}

asio::awaitable<void> LoadGenerator::sleep_until(Clock::time_point when) {
  while (error_.empty() && Clock::now() < when) {
    wake_main_.expires_at(when);
    co_await wake_main_.async_wait(net::use_nothrow);
  }
}

// Open loop: the i-th beat is due at t0 + i / per_second whatever happened to the ones
// before, so a slow server cannot slow the offered load down (and a late loop catches up).
asio::awaitable<void> LoadGenerator::paced(Beat what, double per_second) {
  asio::steady_timer timer(io_);
  const auto t0 = Clock::now();
  const std::chrono::duration<double> period(1.0 / per_second);
  auto running = [&] { return what == Beat::heartbeat ? !finished_ && error_.empty() : sending_; };
  for (std::uint64_t i = 0; running(); ++i) {
    const auto due = t0 + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(i));
    while (running() && Clock::now() < due) {
      timer.expires_at(due);
      co_await timer.async_wait(net::use_nothrow);
    }
    if (running()) beat(what, i);
  }
}

void LoadGenerator::beat(Beat what, std::uint64_t i) {
  switch (what) {
    case Beat::heartbeat: {
      // One frame, serialized once, for everyone; staggered so the server never sees a
      // burst of N heartbeats (and their echoes) inside the window.
      Client& client = clients_[i % clients_.size()];
      if (client.heartbeat_ms && client.connection) client.connection->send(heartbeat_frame_);
      break;
    }
    case Beat::broadcast:
      send_broadcast();
      break;
    case Beat::ping:
      send_ping(i % clients_.size());
      break;
  }
}

void LoadGenerator::start_workload() {
  switch (options_.mode) {
    case Mode::private_chat:
      for (std::size_t i = 0; i < clients_.size(); ++i)
        for (std::size_t w = 0; w < options_.window; ++w) send_private(i);
      break;
    case Mode::fanout:
      asio::co_spawn(io_, paced(Beat::broadcast, options_.rate), fail_on_exception());
      break;
    case Mode::ping:
      // Once per second per client, evenly spread: N pings a second, round robin.
      asio::co_spawn(io_, paced(Beat::ping, static_cast<double>(clients_.size())), fail_on_exception());
      break;
    case Mode::idle:
      break;
  }
}

std::uint32_t LoadGenerator::next_request(Client& client) {
  const std::uint32_t id = client.next_request++;
  if (client.next_request == 0) client.next_request = 1;
  return id;
}

void LoadGenerator::send_private(std::size_t sender) {
  // Any other client, uniformly.
  std::size_t to = static_cast<std::size_t>(random_() % (clients_.size() - 1));
  if (to >= sender) ++to;
  Client& from = clients_[sender];
  const wire::Message message =
      wire::SendMessage{next_request(from), stamp(sender, Clock::now()), {clients_[to].user}, text_};
  from.connection->send(wire::make_frame(message));
  if (window_open_) ++sent_;
}

void LoadGenerator::send_broadcast() {
  Client& from = clients_[0];
  const wire::Message message = wire::Broadcast{next_request(from), stamp(0, Clock::now()), text_};
  from.connection->send(wire::make_frame(message));
  if (window_open_) ++sent_;
}

void LoadGenerator::send_ping(std::size_t index) {
  Client& client = clients_[index];
  const std::uint32_t request = next_request(client);
  client.pings.emplace_back(request, Clock::now());
  ++pings_unanswered_;
  client.connection->send(wire::make_frame(wire::Message{wire::Ping{request}}));
  if (window_open_ && sending_) ++sent_;
}

void LoadGenerator::on_frame(std::size_t index, std::span<const std::uint8_t> payload) {
  if (finished_ || !error_.empty()) return;
  const auto now = Clock::now();
  Client& client = clients_[index];
  // Every login is announced to everyone: with thousands of clients, presence is most
  // of what arrives during logins, and none of it is measured.
  if (wire::peek_index(payload) == variant_index<wire::PresenceEvent, wire::Message>()) return;
  auto decoded = wire::decode(payload);
  if (!decoded.message)
    return fail(fmt::format("{}: the server sent an invalid frame: {}", client.user, decoded.error));
  std::visit(Overloaded{
                 [&](wire::Welcome& m) {
                   client.heartbeat_ms = m.heartbeat_ms;
                   if (client.waiter) client.waiter->cancel();
                 },
                 [&](wire::LoginResult& m) {
                   client.login_reply = std::move(m);
                   if (client.waiter) client.waiter->cancel();
                 },
                 [&](wire::ChatEvent& m) { on_chat(client, m, now); },
                 [&](wire::BroadcastEvent& m) {
                   if (auto s = parse_stamp(m.msg_id)) on_delivery(s->sent, now);
                 },
                 [&](wire::Pong& m) { on_pong(client, m.request, now); },
                 [&](wire::SendResult& m) {
                   // stored_offline: durable, and the recipient's acknowledgement is on its way.
                   for (const auto& r : m.recipients) {
                     if (r.status != wire::Status::ok && r.status != wire::Status::stored_offline)
                       return fail(fmt::format("{}: message to {} refused: {}", client.user, r.user,
                                               wire::to_string(r.status)));
                   }
                 },
                 [&](wire::Result& m) {
                   if (m.status != wire::Status::ok)
                     fail(fmt::format("{}: request refused: {} ({})", client.user, m.message,
                                      wire::to_string(m.status)));
                 },
                 [&](wire::LoggedOut& m) {
                   fail(fmt::format("{}: logged out by the server: {}", client.user, m.reason));
                 },
                 [&](wire::ProtocolError& m) {
                   fail(fmt::format("{}: protocol error from the server: {}", client.user, m.message));
                 },
                 // Heartbeat echoes, presence, broadcast results: read and ignored.
                 [](auto&) {},
             },
             *decoded.message);
}

void LoadGenerator::on_close(std::size_t index, const std::string& reason) {
  if (finished_) return;
  fail(fmt::format("{}: connection closed: {}", clients_[index].user, reason));
}

void LoadGenerator::on_chat(Client& client, const wire::ChatEvent& event, Clock::time_point now) {
  // Every message is acknowledged, or the server's mailbox grows; like a peer, once per
  // loop pass for all that arrived in it.
  acknowledge(client, event.seq);
  // Stored for this user by an earlier, interrupted run: not counted.
  if (event.offline) return;
  auto s = parse_stamp(event.msg_id);
  if (!s || s->sender >= clients_.size()) return;  // not one of ours
  on_delivery(s->sent, now);
  // Closed loop: a delivery frees its sender's slot for the next message.
  if (options_.mode == Mode::private_chat && sending_) send_private(s->sender);
}

void LoadGenerator::acknowledge(Client& client, std::int64_t seq) {
  if (client.acks.empty()) {
    asio::post(io_, [this, &client] {
      // At most kMaxOfflineBatch seqs a frame, as the protocol allows.
      for (std::size_t at = 0; at < client.acks.size() && !finished_; at += wire::kMaxOfflineBatch) {
        const auto end = client.acks.begin() + static_cast<std::ptrdiff_t>(
                                                   std::min(client.acks.size(), at + wire::kMaxOfflineBatch));
        const auto begin = client.acks.begin() + static_cast<std::ptrdiff_t>(at);
        client.connection->send(wire::Message{wire::AckOffline{{begin, end}}});
      }
      client.acks.clear();
    });
  }
  client.acks.push_back(seq);
}

void LoadGenerator::on_pong(Client& client, std::uint32_t request, Clock::time_point now) {
  // The server answers a connection's pings in order, so a Pong answers the oldest ping.
  if (client.pings.empty() || client.pings.front().first != request)
    return fail(fmt::format("{}: Pong {} answers no ping of ours", client.user, request));
  const auto sent = client.pings.front().second;
  client.pings.pop_front();
  --pings_unanswered_;
  on_delivery(sent, now);
  if (awaiting_ == Awaiting::pongs) poke();
}

void LoadGenerator::on_delivery(Clock::time_point sent, Clock::time_point now) {
  if (!window_open_ || sent < window_start_) return;  // warm-up traffic
  ++delivered_;
  latencies_.record(now - sent);
  if (awaiting_ == Awaiting::drain) poke();
}

void LoadGenerator::fail(std::string why) {
  if (!error_.empty() || finished_) return;
  error_ = std::move(why);
  io_.stop();
}

void LoadGenerator::finish() {
  finished_ = true;
  for (auto& client : clients_)
    if (client.connection) client.connection->close("benchmark finished");
  io_.stop();
}

}  // namespace

Measurements run_load(const Options& options) {
  LoadGenerator generator(options);
  return generator.run();
}

}  // namespace parley::bench
