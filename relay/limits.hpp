// What one relay will carry at most. A relay is the expensive path (every byte crosses
// it twice), so the defaults keep one busy link from starving the others and the whole
// relay within a modest machine's means; docs/protocol.md lists them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley::relay {

struct Limits {
  std::size_t max_links = 64;              // paired links at once
  std::size_t max_per_user = 8;            // halves (waiting or paired) one user may hold
  std::size_t max_waiting = 128;           // unpaired halves in all
  std::int64_t unpaired_ms = 10'000;       // a half whose partner has not come by then is dropped
  std::int64_t idle_ms = 60'000;           // a link with no byte either way for this long is cut
  std::int64_t hello_ms = 5'000;           // TLS handshake and the ticket
  double link_rate = 4.0 * 1024 * 1024;    // bytes per second, per link and direction (0: no cap)
  double total_rate = 32.0 * 1024 * 1024;  // bytes per second, everything together (0: no cap)
};

}  // namespace parley::relay
