#pragma once

#include <chrono>
#include <cstdint>

namespace parley {

// Wall-clock time for the protocol (message times, last seen): unix milliseconds.
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace parley
