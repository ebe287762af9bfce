// Users kept out for a while: by the operator (`kick <user> <minutes>`) or for sustained
// abuse of the fair-use limits. Pure; in memory only (a restart lifts every ban, as it
// would end every session anyway). Names are compared whatever their case.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "shared/wire/limits.hpp"

namespace parley::server::limits {

class Bans {
 public:
  struct Ban {
    std::int64_t until_ms = 0;
    std::string reason;
  };

  // A later ban replaces an earlier one, even a longer one: the operator's word is last.
  void ban(const std::string& user, std::int64_t until_ms, std::string reason) {
    bans_[wire::folded_username(user)] = Ban{until_ms, std::move(reason)};
  }
  void lift(const std::string& user) { bans_.erase(wire::folded_username(user)); }

  // The ban in force on `user` now, if any; forgets the ones that have run out.
  std::optional<Ban> active(const std::string& user, std::int64_t now_ms) {
    auto it = bans_.find(wire::folded_username(user));
    if (it == bans_.end()) return std::nullopt;
    if (it->second.until_ms <= now_ms) {
      bans_.erase(it);
      return std::nullopt;
    }
    return it->second;
  }

  void prune(std::int64_t now_ms) {
    std::erase_if(bans_, [&](const auto& entry) { return entry.second.until_ms <= now_ms; });
  }

 private:
  std::unordered_map<std::string, Ban> bans_;  // by folded name
};

}  // namespace parley::server::limits
