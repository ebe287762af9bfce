// Small pieces every coroutine in Parley uses.
#pragma once

#include <spdlog/spdlog.h>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <string>
#include <type_traits>

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

}  // namespace parley::net
