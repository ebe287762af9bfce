// Small pieces every coroutine in Parley uses.
#pragma once

#include <spdlog/spdlog.h>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <string>

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

}  // namespace parley::net
