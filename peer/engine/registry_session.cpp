#include "peer/engine/registry_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <random>

#include "peer/engine/token_file.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

constexpr auto kFirstRetry = std::chrono::milliseconds(500);
constexpr auto kMaxRetry = std::chrono::seconds(30);

// Refusals that say "not now" rather than "no": retrying later can succeed. "Busy" after
// a restart is one of them (unavailable): a peer that gave up on it never came back.
bool temporary(const RegistrySession::LoginOutcome& outcome) {
  return outcome.status == wire::Status::unavailable || outcome.status == wire::Status::already_logged_in ||
         outcome.status == wire::Status::locked || outcome.status == wire::Status::internal ||
         outcome.status == wire::Status::rate_limited;
}

}  // namespace

RegistrySession::RegistrySession(asio::any_io_executor executor, const PeerConfig& config, Hooks hooks)
    : executor_(executor),
      config_(config),
      hooks_(std::move(hooks)),
      client_(executor, {.on_event = [this](wire::Message&& m) { hooks_.on_event(std::move(m)); },
                         .on_close =
                             [this](const std::string& reason) {
                               connected_ = false;
                               closed_.notify();
                               if (up_) connection_lost(reason);
                             }}),
      retry_(executor),
      closed_(executor),
      login_done_(executor) {}

std::string RegistrySession::check_fingerprint(const std::string& fingerprint, bool ask_first_use) {
  seen_fingerprint_ = fingerprint;
  try {
    auto pin = check_server_fingerprint(config_.data_dir / "known_servers",
                                        fmt::format("{}:{}", config_.host, config_.port), fingerprint,
                                        config_.server_fingerprint, !ask_first_use);
    if (!pin.accepted()) return pin.message;
    pin_ = std::move(pin);
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

asio::awaitable<RegistrySession::Connected> RegistrySession::connect(bool ask_first_use) {
  pin_.reset();
  auto check = [this, ask_first_use](const std::string& fp) { return check_fingerprint(fp, ask_first_use); };
  Connected result;
  result.error = co_await client_.connect(config_.host, config_.port, check);
  connected_ = result.error.empty();
  connection_used_ = false;
  result.fingerprint = seen_fingerprint_;
  if (pin_) {
    result.first_use = pin_->outcome == PinCheck::Outcome::first_use;
    result.pin_message = pin_->message;
  }
  co_return result;
}

void RegistrySession::trust() {
  pin_server_fingerprint(config_.data_dir / "known_servers", fmt::format("{}:{}", config_.host, config_.port),
                         seen_fingerprint_);
}

asio::awaitable<RegistrySession::LoginOutcome> RegistrySession::log_in(const std::string& user,
                                                                       const std::string& password,
                                                                       bool sign_up) {
  co_return co_await exclusive(user, password, sign_up, false);
}

asio::awaitable<RegistrySession::LoginOutcome> RegistrySession::exclusive(const std::string& user,
                                                                          const std::string& password,
                                                                          bool sign_up, bool resume) {
  if (logging_in_) {
    while (logging_in_) co_await login_done_.wait();
    co_return last_outcome_;
  }
  logging_in_ = true;
  auto outcome = co_await attempt(user, password, sign_up, resume);
  last_outcome_ = outcome;
  logging_in_ = false;
  login_done_.notify();
  co_return outcome;
}

asio::awaitable<RegistrySession::LoginOutcome> RegistrySession::attempt(const std::string& user,
                                                                        const std::string& password,
                                                                        bool sign_up, bool resume) {
  LoginOutcome outcome;
  // A connection that carried a login (refused, or a session since ended) is not reused:
  // its late frames could speak for the new attempt.
  if (!connected_ || !client_.is_open() || connection_used_) {
    auto connected = co_await connect(false);
    if (!connected.error.empty()) {
      outcome.status = wire::Status::unavailable;
      outcome.message = connected.error;
      outcome.connect_failed = true;
      co_return outcome;
    }
  }
  connection_used_ = true;
  const auto endpoint = hooks_.endpoint(client_.local_address());
  const wire::Message login = resume ? wire::Message{wire::Resume{0, user, token_, endpoint}}
                                     : wire::Message{wire::Login{0, user, password, endpoint, sign_up}};
  auto reply = co_await client_.call(login);
  auto* result = reply ? std::get_if<wire::LoginResult>(&*reply) : nullptr;
  if (!result) {
    outcome.status = wire::Status::unavailable;
    outcome.message = "no answer to login: " + client_.close_reason();
    co_return outcome;
  }
  outcome = {result->status, result->message, result->can_sign_up, result->retry_after_s, false};
  if (outcome.ok()) {
    user_ = result->user;
    if (!resume) password_ = password;
    // A resume keeps its token (the answer carries none); a login brings a new one.
    if (!result->resume_token.empty()) keep_token(result->resume_token);
    up_ = true;
  } else {
    if (outcome.status == wire::Status::token_refused) keep_token({});
    // Prompting for another try blocks nobody, but a silent connection would time out.
    client_.close("login refused");
  }
  co_return outcome;
}

asio::awaitable<RegistrySession::LoginOutcome> RegistrySession::log_in_again() {
  const std::string user = user_, password = password_;
  if (!token_.empty()) {
    auto resumed = co_await exclusive(user, {}, false, true);
    if (resumed.status != wire::Status::token_refused) co_return resumed;
    spdlog::info("registry: {}; logging in with the password", resumed.message);
  }
  co_return co_await exclusive(user, password, false, false);
}

void RegistrySession::keep_token(std::string token) {
  token_ = std::move(token);
  try {
    save_resume_token(config_.data_dir,
                      fmt::format("{}@{}:{}", wire::folded_username(user_), config_.host, config_.port),
                      token_);
  } catch (const std::exception& e) {
    // Only this run can resume then; nothing is lost.
    spdlog::warn("resumption token not saved: {}", e.what());
  }
}

asio::awaitable<void> RegistrySession::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = net::AsyncEvent::Clock::now() + timeout;
  while (client_.is_open()) {
    const bool notified = co_await closed_.wait(deadline);
    if (!notified) break;
  }
}

void RegistrySession::connection_lost(const std::string& reason) {
  if (!up_ || stopped_) return;
  up_ = false;
  hooks_.on_lost(reason);
  if (!retrying_) asio::co_spawn(executor_, retry_loop(), net::LogExceptions{"reconnect"});
}

void RegistrySession::stop() {
  stopped_ = true;
  up_ = false;
  retry_.notify();
  client_.close("peer exiting");
}

// Exponential backoff with jitter, so a restarted server is not hit by every peer at
// once; `reconnect` (retry_now) cuts a wait short. Only a refusal that will not change
// by itself (the password no longer works, the account is gone) ends it.
asio::awaitable<void> RegistrySession::retry_loop() {
  retrying_ = true;
  std::mt19937 rng(std::random_device{}());
  std::chrono::milliseconds delay = kFirstRetry;
  while (!stopped_ && !up_) {
    std::uniform_int_distribution<long> jitter(0, delay.count() / 2);
    co_await retry_.wait_for(delay + std::chrono::milliseconds(jitter(rng)));
    if (stopped_ || up_) break;
    delay = std::min<std::chrono::milliseconds>(delay * 2, kMaxRetry);
    auto outcome = co_await log_in_again();
    if (outcome.ok()) {
      retrying_ = false;
      hooks_.on_back();
      co_return;
    }
    if (outcome.retry_after_s > 0)
      delay = std::max<std::chrono::milliseconds>(delay, std::chrono::seconds(outcome.retry_after_s));
    if (!temporary(outcome)) {
      hooks_.on_give_up(outcome.message);
      break;
    }
    spdlog::info("registry: still away: {}", outcome.message);
  }
  retrying_ = false;
}

}  // namespace parley::peer
