#include "relay/relay.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>

#include "shared/net/async.hpp"
#include "shared/net/stream_io.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::relay {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kCopyBuffer = 16 * 1024;  // one TLS record
constexpr std::size_t kHelloFrame = 1024;       // a RelayHello is a ticket and a version

}  // namespace

struct Relay::Half {
  Half(net::TlsStream s, Pairing::HalfId i, asio::any_io_executor executor, double rate)
      : stream(std::move(s)),
        id(i),
        address(stream.remote_address()),
        wake(executor),
        bucket(rate, rate / 4, Clock::now()) {}
  net::TlsStream stream;
  Pairing::HalfId id;
  std::string address;
  std::string user;
  std::shared_ptr<Half> partner;
  std::optional<std::string> refused;  // told while waiting: the pairing failed
  bool paired = false;
  bool claimed = false;  // its partner is telling both they are paired: wait for that
  bool admitted = false;
  net::AsyncEvent wake;
  TokenBucket bucket;  // this half's direction: from it to its partner
  Clock::time_point last_byte = Clock::now();
};

Relay::Relay(asio::any_io_executor executor, const net::Identity& identity, RelayConfig config)
    : executor_(executor),
      tls_(net::make_server_context(identity)),
      fingerprint_(identity.fingerprint),
      config_(std::move(config)),
      pairing_(config_.limits),
      total_(config_.limits.total_rate, config_.limits.total_rate / 4, Clock::now()),
      acceptor_(executor),
      sweep_timer_(executor) {
  if (!config_.capture.empty()) capture_.open(config_.capture, std::ios::binary | std::ios::app);
}

Relay::~Relay() {
  *alive_ = false;
  stop();
}

std::uint16_t Relay::start() {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(config_.bind), config_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  asio::co_spawn(executor_, accept_loop(), net::LogExceptions{"relay accept"});
  asio::co_spawn(executor_, sweep_loop(), net::LogExceptions{"relay sweep"});
  return acceptor_.local_endpoint().port();
}

void Relay::stop() {
  if (stopped_) return;
  stopped_ = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  sweep_timer_.cancel();
  if (capture_.is_open()) capture_.flush();
  for (auto& [id, half] : halves_) {
    half->stream.close();
    half->partner.reset();
    half->wake.notify();
  }
}

asio::awaitable<void> Relay::accept_loop() {
  auto alive = alive_;
  while (*alive && !stopped_) {
    auto [ec, socket] = co_await acceptor_.async_accept(net::use_nothrow);
    if (!*alive || stopped_) co_return;
    if (ec) {
      spdlog::warn("relay: accept failed: {}", ec.message());
      asio::steady_timer pause(executor_, std::chrono::milliseconds(100));
      co_await pause.async_wait(net::use_nothrow);
      continue;
    }
    auto half = std::make_shared<Half>(net::TlsStream(std::move(socket), tls_), next_id_++, executor_,
                                       config_.limits.link_rate);
    halves_[half->id] = half;
    asio::co_spawn(executor_, serve(half), net::LogExceptions{"relay half"});
  }
}

// One connection from hello to close: the ticket, the wait for its partner, then
// copying what it sends to the partner (the partner's own coroutine copies the other way).
asio::awaitable<void> Relay::serve(std::shared_ptr<Half> half) {
  auto alive = alive_;
  auto ticket = co_await read_ticket(*half);
  if (!*alive) co_return;
  bool ready = false;
  if (ticket) {
    half->user = ticket->user;
    auto admission = pairing_.admit(half->id, *ticket, now_ms());
    using Kind = Pairing::Admission::Kind;
    if (admission.kind == Kind::refused) {
      if (auto partner = halves_.find(admission.partner); admission.partner && partner != halves_.end()) {
        partner->second->refused = admission.reason;
        partner->second->wake.notify();
      }
      spdlog::warn("relay: refused {} ({}) for link {}: {}", half->address, half->user, ticket->pair,
                   admission.reason);
      co_await refuse(*half, admission.reason);
    } else {
      half->admitted = true;
      ready = admission.kind == Kind::waiting ? co_await wait_for_partner(half)
                                              : co_await pair_with(half, admission.partner);
    }
  }
  if (!*alive) co_return;
  const auto partner = half->partner;
  if (ready && partner) co_await copy(half, partner);
  if (*alive) release(*half);
}

asio::awaitable<std::optional<Ticket>> Relay::read_ticket(Half& half) {
  net::Watchdog watchdog(half.stream, std::chrono::milliseconds(config_.limits.hello_ms));
  std::string error;
  std::optional<wire::LinkMessage> message;
  if (auto ec = co_await half.stream.handshake(net::Role::server))
    error = "TLS handshake: " + ec.message();
  else
    message = co_await net::read_link_frame(half.stream, kHelloFrame, &error);
  if (watchdog.fired()) error = "no ticket in time";
  watchdog.disarm();
  auto* hello = message ? std::get_if<wire::RelayHello>(&*message) : nullptr;
  if (message && !hello) error = "expected RelayHello";
  if (hello && hello->version != wire::kLinkVersion)
    error = fmt::format("relay version {} is not supported (this relay speaks {})", hello->version,
                        wire::kLinkVersion);
  std::optional<Ticket> ticket;
  if (error.empty()) ticket = verify_ticket(hello->ticket, config_.secret, now_ms(), &error);
  if (!ticket) {
    spdlog::warn("relay: refused {}: {}", half.address, error);
    co_await refuse(half, error);
  }
  co_return ticket;
}

asio::awaitable<bool> Relay::wait_for_partner(const std::shared_ptr<Half>& half) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(config_.limits.unpaired_ms);
  while (!half->paired && !half->refused && !stopped_)
    if (!co_await half->wake.wait(deadline)) break;
  while (half->claimed && !half->paired && !half->refused && !stopped_) co_await half->wake.wait();
  if (half->paired) co_return true;
  std::string why = half->refused ? *half->refused : "the other peer did not come to the relay in time";
  if (!half->refused) spdlog::info("relay: {} ({}) dropped: {}", half->address, half->user, why);
  co_await refuse(*half, why);
  co_return false;
}

// The second half of a pair: tells both they are paired, then lets the first one go.
// The first half's coroutine is waiting and does not touch its stream meanwhile.
asio::awaitable<bool> Relay::pair_with(const std::shared_ptr<Half>& half, Pairing::HalfId partner_id) {
  auto it = halves_.find(partner_id);
  if (it == halves_.end()) co_return false;
  auto partner = it->second;
  partner->claimed = true;
  const wire::LinkMessage ok = wire::RelayAnswer{true, {}};
  auto e1 = co_await net::write_link_frame(partner->stream, ok);
  auto e2 = e1 ? e1 : co_await net::write_link_frame(half->stream, ok);
  if (e1 || e2) {
    partner->refused = "the other peer left the relay";
    partner->wake.notify();
    co_return false;
  }
  spdlog::info("relay: paired {} ({}) with {} ({})", partner->address, partner->user, half->address,
               half->user);
  half->partner = partner;
  partner->partner = half;
  half->paired = partner->paired = true;
  partner->wake.notify();
  co_return true;
}

asio::awaitable<void> Relay::copy(const std::shared_ptr<Half>& from_ref,
                                  const std::shared_ptr<Half>& to_ref) {
  const auto from = from_ref, to = to_ref;  // the caller's may be reset meanwhile
  auto alive = alive_;
  std::vector<std::uint8_t> buffer(kCopyBuffer);
  for (;;) {
    std::size_t n = 0;
    if (co_await net::read_some(from->stream, asio::buffer(buffer), &n)) break;
    if (!*alive) co_return;
    from->last_byte = to->last_byte = Clock::now();
    bytes_ += n;
    if (capture_.is_open())
      capture_.write(reinterpret_cast<const char*>(buffer.data()), static_cast<long>(n));
    co_await throttle(*from, n);
    if (!*alive) co_return;
    if (co_await net::write_all(to->stream, asio::buffer(buffer.data(), n))) break;
  }
  // Either side gone: the link is over for both (each peer's TLS notices on its own).
  from->stream.close();
  to->stream.close();
}

// Waits until both this link's and the relay's budgets allow `bytes`, then spends them.
asio::awaitable<void> Relay::throttle(Half& from, std::size_t bytes) {
  for (;;) {
    const auto now = Clock::now();
    const auto wait = std::max(from.bucket.wait_for(bytes, now), total_.wait_for(bytes, now));
    if (wait <= Clock::duration::zero()) break;
    asio::steady_timer timer(executor_, wait);
    co_await timer.async_wait(net::use_nothrow);
  }
  from.bucket.take(bytes);
  total_.take(bytes);
}

asio::awaitable<void> Relay::refuse(Half& half, const std::string& reason) {
  net::Watchdog watchdog(half.stream, std::chrono::seconds(2));
  const wire::LinkMessage answer = wire::RelayAnswer{false, reason.substr(0, wire::kMaxReason)};
  co_await net::write_link_frame(half.stream, answer);
  co_await half.stream.shutdown(std::chrono::milliseconds(500));
}

void Relay::release(Half& half) {
  if (half.admitted) pairing_.release(half.id);
  half.admitted = false;
  half.stream.close();
  half.partner.reset();  // breaks the cycle between the two halves
  halves_.erase(half.id);
}

asio::awaitable<void> Relay::sweep_loop() {
  auto alive = alive_;
  while (*alive && !stopped_) {
    sweep_timer_.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await sweep_timer_.async_wait(net::use_nothrow);
    if (ec || !*alive || stopped_) co_return;
    const auto idle = std::chrono::milliseconds(config_.limits.idle_ms);
    for (auto& [id, half] : halves_) {
      if (!half->paired || Clock::now() - half->last_byte < idle) continue;
      spdlog::info("relay: link of {} ({}) idle for {} s: closed", half->address, half->user,
                   config_.limits.idle_ms / 1000);
      half->stream.close();
    }
    if (capture_.is_open()) capture_.flush();
  }
}

}  // namespace parley::relay
