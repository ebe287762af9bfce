// Who the relay pairs with whom, and the caps on connections. Pure: no sockets, time
// passed in; relay.cpp does the I/O and asks this class at every step.
//
// Each connection ("half") presents a verified ticket. The first half of a pair waits;
// the second is paired with it. A ticket works once. A pairing refused for a cap is
// remembered until its tickets expire, so that the other half is refused with the same
// reason, at once if it is waiting or when it comes: both peers learn why.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "relay/limits.hpp"
#include "relay/ticket.hpp"

namespace parley::relay {

class Pairing {
 public:
  using HalfId = std::uint64_t;
  struct Admission {
    enum class Kind { refused, waiting, paired } kind = Kind::refused;
    std::string reason;  // refused: why, for the log and the peer
    HalfId partner = 0;  // paired: the waiting half; refused: a waiting half refused too
  };

  explicit Pairing(Limits limits) : limits_(limits) {}

  Admission admit(HalfId half, const Ticket& ticket, std::int64_t now_ms);
  // The half closed, waiting or paired.
  void release(HalfId half);
  // Waiting halves whose partner did not come in time: to be told and closed.
  std::vector<HalfId> expire(std::int64_t now_ms);

  std::size_t links() const { return links_; }
  std::size_t waiting() const { return waiting_.size(); }
  std::size_t halves_of(const std::string& user) const;
  const Limits& limits() const { return limits_; }

 private:
  struct Half {
    std::string user;
    std::string pair;
    bool paired = false;
    std::int64_t since_ms = 0;
  };
  std::optional<std::string> cap_reached(const std::string& user, bool completes_pair) const;
  Admission refuse(const std::string& pair, std::int64_t until_ms, std::string reason);
  void forget_old(std::int64_t now_ms);

  Limits limits_;
  std::map<HalfId, Half> halves_;
  std::map<std::string, HalfId> waiting_;  // pair -> the half waiting for its partner
  std::map<std::string, std::size_t> per_user_;
  std::size_t links_ = 0;
  // Tickets used (pair, side) and pairings refused (pair -> reason), until they expire.
  std::map<std::pair<std::string, std::uint8_t>, std::int64_t> used_;
  std::map<std::string, std::pair<std::string, std::int64_t>> refused_;
};

}  // namespace parley::relay
