// Small pieces every coroutine in Parley uses.
#pragma once

#include <spdlog/spdlog.h>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace parley::net {

// Completion token that returns errors as values: network errors are expected, not
// exceptional, and an exception escaping a detached coroutine would be lost.
inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// co_spawn completion handler that logs what escaped instead of swallowing it.
struct LogExceptions {
  std::string what;
  void operator()(std::exception_ptr e) const {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("{}: unexpected exception: {}", what, ex.what());
    }
  }
};

namespace detail {
template <class F>
asio::awaitable<std::invoke_result_t<F&>> invoke_as_coroutine(F fn) {
  co_return fn();
}
}  // namespace detail

// Runs a copy of fn() on `executor` (a thread pool or a strand of one: blocking work
// that must stay off the event loop) and resumes the caller on its own executor with
// the result, or rethrows what fn threw. Both arguments are references to named
// objects: g++ 12 destroys temporaries inside a co_await expression twice.
template <class Executor, class F>
asio::awaitable<std::invoke_result_t<F&>> run_on(const Executor& executor, const F& fn) {
  auto work = asio::co_spawn(executor, detail::invoke_as_coroutine(F(fn)), asio::use_awaitable);
  co_return co_await std::move(work);
}

// A condition-variable for coroutines on one executor: notify() wakes every coroutine
// waiting now; waiting later needs a later notify(). Waiters re-check their condition in
// a loop, as with std::condition_variable. Not thread-safe: use it from its executor.
class AsyncEvent {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AsyncEvent(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  AsyncEvent(const AsyncEvent&) = delete;
  AsyncEvent& operator=(const AsyncEvent&) = delete;
  ~AsyncEvent() { notify(); }

  void notify() {
    for (auto* waiter : std::exchange(waiters_, {})) {
      waiter->notified = true;
      waiter->timer.cancel();
    }
  }

  // True when notified, false when `deadline` passed first.
  asio::awaitable<bool> wait(Clock::time_point deadline = Clock::time_point::max()) {
    Waiter waiter{asio::steady_timer(executor_, deadline), this};
    waiters_.push_back(&waiter);
    co_await waiter.timer.async_wait(use_nothrow);
    co_return waiter.notified;
  }
  asio::awaitable<bool> wait_for(Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    co_return co_await wait(deadline);
  }

  bool has_waiters() const { return !waiters_.empty(); }

 private:
  struct Waiter {
    asio::steady_timer timer;
    AsyncEvent* event;
    bool notified = false;
    // Also when the waiting coroutine is destroyed without resuming (its io_context went
    // away). A notified waiter was already taken off the list, perhaps by the event's
    // destructor: the event may be gone, so it is not touched.
    ~Waiter() {
      if (!notified) std::erase(event->waiters_, this);
    }
  };
  asio::any_io_executor executor_;
  std::vector<Waiter*> waiters_;
};

}  // namespace parley::net
