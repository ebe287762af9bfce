// Piece requests this peer has outstanding at each holder, across all its downloads. A
// holder keeps only kMaxPiecesInFlight waiting requests per peer and refuses more, so
// several downloads from the same holder must share one window instead of each
// filling its own. Pure bookkeeping, on the event loop.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>

namespace parley::peer {

class RequestBudget {
 public:
  explicit RequestBudget(std::size_t per_holder) : per_holder_(per_holder) {}

  bool available(const std::string& holder) const { return used(holder) < per_holder_; }
  // Reserves one request at `holder`; false when its window is full.
  bool take(const std::string& holder) {
    if (!available(holder)) return false;
    ++used_[holder];
    return true;
  }
  // Returns `n` requests (answered, or never to be answered) to `holder`'s window.
  void give(const std::string& holder, std::size_t n = 1) {
    auto it = used_.find(holder);
    if (it == used_.end() || n == 0) return;
    it->second -= std::min(n, it->second);
    if (it->second == 0) used_.erase(it);
    if (on_freed) on_freed();
  }
  std::size_t used(const std::string& holder) const {
    auto it = used_.find(holder);
    return it == used_.end() ? 0 : it->second;
  }

  // Room was made: a download that stopped for lack of it may go on.
  std::function<void()> on_freed;

 private:
  std::size_t per_holder_;
  std::map<std::string, std::size_t> used_;
};

}  // namespace parley::peer
