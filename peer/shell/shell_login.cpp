// The login dialogue: user name, the server's certificate on first use, password, and
// a new account's password when the name is free and the server takes sign-ups.
#include <fmt/format.h>

#include <asio/steady_timer.hpp>
#include <random>

#include "peer/shell/shell.hpp"
#include "shared/wire/limits.hpp"

namespace parley::peer {
namespace {

// "Not now" answers (busy checking passwords after a restart, a failed commit, a rate
// limit): never final, scripts wait too, with a growing pause.
bool temporary(wire::Status status) {
  return status == wire::Status::unavailable || status == wire::Status::internal ||
         status == wire::Status::rate_limited;
}

bool says_yes(const std::optional<std::string>& answer) {
  return answer && (*answer == "y" || *answer == "Y" || *answer == "yes" || *answer == "YES");
}

}  // namespace

// Connects and checks the server's certificate before any password is typed or sent.
asio::awaitable<bool> Shell::check_server() {
  auto connected = co_await engine_.connect(config_.interactive);
  if (!connected.error.empty()) {
    on_event(ev::Error{"connect", connected.error});
    co_return false;
  }
  if (connected.first_use) {
    on_event(ev::Notice{connected.pin_message, {}});
    auto answer = co_await next_line("trust this server? [y/N] ");
    if (!says_yes(answer)) {
      on_event(ev::Error{"connect", "server not trusted: nothing was sent to it"});
      co_return false;
    }
    try {
      engine_.trust_server();
    } catch (const std::exception& e) {
      on_event(ev::Error{"connect", e.what()});
      co_return false;
    }
    on_event(ev::Notice{"server certificate pinned", {}});
  } else if (!connected.pin_message.empty()) {
    on_event(ev::Notice{connected.pin_message, {}});
  }
  // Prompts block this thread: hang up rather than hold a silent connection.
  if (config_.interactive) engine_.hang_up();
  co_return true;
}

// A new account's password, typed twice so a typo does not lock the owner out.
asio::awaitable<std::optional<std::string>> Shell::choose_password() {
  for (;;) {
    auto first = co_await next_line("choose a password: ", true);
    if (!first) co_return std::nullopt;
    auto second = co_await next_line("type it again: ", true);
    if (!second) co_return std::nullopt;
    if (*first != *second) {
      on_event(ev::Error{"login", "the two passwords differ; try again"});
    } else if (first->size() < 8 || first->size() > wire::kMaxPassword) {
      on_event(ev::Error{"login",
                         fmt::format("a password has 8 to {} characters; try again", wire::kMaxPassword)});
    } else {
      co_return first;
    }
  }
}

asio::awaitable<bool> Shell::log_in() {
  user_ = config_.user;
  if (user_.empty()) {
    auto line = co_await next_line("username: ");
    if (!line || line->empty()) {
      on_event(ev::Error{"login", "no username given"});
      co_return false;
    }
    user_ = *line;
  }
  const bool trusted = co_await check_server();
  if (!trusted) co_return false;
  std::string password;
  if (config_.password) {
    password = *config_.password;
  } else {
    auto line = co_await next_line("password: ", true);
    if (!line) {
      on_event(ev::Error{"login", "no password given"});
      co_return false;
    }
    password = *line;
  }
  co_return co_await attempt_logins(password);
}

// Logs in, retrying what is worth retrying: "busy" after a pause; a free name as a
// sign-up; a wrong password or name at a terminal, asked again.
asio::awaitable<bool> Shell::attempt_logins(const std::string& first_password) {
  std::string password = first_password;
  bool sign_up = false;
  int busy = 0;
  for (;;) {
    auto outcome = co_await engine_.log_in(user_, password, sign_up);
    if (outcome.ok()) {
      if (sign_up)
        on_event(ev::Notice{fmt::format("account {} created", user_), {{"user", user_}, {"created", true}}});
      co_return true;
    }
    if (outcome.connect_failed) {
      on_event(ev::Error{"connect", outcome.message});
      co_return false;
    }
    if (temporary(outcome.status)) {
      co_await pause_before_retry(std::max<std::int64_t>(outcome.retry_after_s, std::int64_t{1} << busy));
      busy = std::min(busy + 1, 5);  // at most ~32 s apart
      continue;
    }
    const bool was_sign_up = std::exchange(sign_up, false);  // a refused sign-up is not retried as one
    if (outcome.status == wire::Status::unknown_user && outcome.can_sign_up && !was_sign_up) {
      auto chosen = co_await sign_up_password(outcome.message, password);
      if (!chosen) co_return false;
      password = *chosen;
      sign_up = true;
      continue;
    }
    on_event(ev::Error{"login", outcome.message});
    // People at a terminal may try again; scripts fail fast with the error above.
    const bool retry = config_.interactive && (outcome.status == wire::Status::wrong_password ||
                                               outcome.status == wire::Status::unknown_user);
    if (!retry) co_return false;
    if (outcome.status == wire::Status::unknown_user) {
      auto line = co_await next_line("username: ");
      if (!line) co_return false;
      user_ = *line;
    }
    auto line = co_await next_line("password: ", true);
    if (!line) co_return false;
    password = *line;
  }
}

// The name is free and the server takes sign-ups: the password of the new account
// (asked twice at a terminal; a script with --sign-up uses the one it gave).
asio::awaitable<std::optional<std::string>> Shell::sign_up_password(const std::string& offer,
                                                                    const std::string& given) {
  if (config_.interactive) {
    on_event(ev::Notice{offer, {}});
    co_return co_await choose_password();
  }
  if (config_.sign_up) co_return given;
  on_event(ev::Error{"login", offer + " (run with --sign-up to create it)"});
  co_return std::nullopt;
}

// Busy checking passwords (after a restart everyone logs in at once): wait, with jitter
// (up to a quarter more), so the peers that were refused together do not return together.
asio::awaitable<void> Shell::pause_before_retry(std::int64_t retry_after_s) {
  static thread_local std::mt19937 rng(std::random_device{}());
  const std::int64_t base_ms = std::max<std::int64_t>(retry_after_s, 1) * 1000;
  asio::steady_timer wait(
      io_, std::chrono::milliseconds(base_ms + static_cast<std::int64_t>(rng() % 1000) * base_ms / 4000));
  co_await wait.async_wait(net::use_nothrow);
}

}  // namespace parley::peer
