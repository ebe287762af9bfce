// When an idle user is warned and logged out, and how often the server looks. Pure, so
// the arithmetic is tested without waiting for clocks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace parley::server {

// How long before the idle logout the user is warned: 30 s, or half the timeout when
// that is shorter (a 4 s timeout warns at 2 s).
inline std::chrono::milliseconds idle_warning_lead(std::chrono::seconds timeout) {
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(30),
                                             std::chrono::milliseconds(timeout) / 2);
}

// How often deadlines are swept: once a second is cheap and precise enough for real
// timeouts, but a short one would see its warning come up to a whole second late, so
// the sweep keeps to an eighth of the warning lead (never more often than 10 times a
// second).
inline std::chrono::milliseconds sweep_interval(std::chrono::seconds timeout) {
  return std::clamp<std::chrono::milliseconds>(idle_warning_lead(timeout) / 8, std::chrono::milliseconds(100),
                                               std::chrono::seconds(1));
}

enum class IdleAction { none, warn, logout };

// What a sweep does about a user idle for `idle`; `warned`: this idle period's warning
// has gone out already.
template <class Duration>
IdleAction idle_action(Duration idle, std::chrono::seconds timeout, bool warned) {
  if (idle > timeout) return IdleAction::logout;
  if (!warned && idle >= timeout - idle_warning_lead(timeout)) return IdleAction::warn;
  return IdleAction::none;
}

// Whole seconds until the logout, rounded up: what the warning says.
template <class Duration>
std::int64_t idle_seconds_left(Duration idle, std::chrono::seconds timeout) {
  const auto left = std::chrono::ceil<std::chrono::seconds>(timeout - idle);
  return std::max<std::int64_t>(1, left.count());
}

}  // namespace parley::server
