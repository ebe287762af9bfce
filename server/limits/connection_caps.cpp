#include "server/limits/connection_caps.hpp"

namespace parley::server::limits {

ConnectionCaps::Admission ConnectionCaps::admit(std::uint64_t id, const std::string& address) {
  if (connections_.size() >= settings_.max_connections) return Admission::too_many;
  if (prelogin_total_ >= settings_.max_prelogin) return Admission::too_many_prelogin;
  auto& from_ip = prelogin_by_ip_[address];
  if (from_ip >= settings_.max_prelogin_per_ip) return Admission::too_many_from_address;
  ++from_ip;
  ++prelogin_total_;
  connections_.emplace(id, Entry{address, true});
  return Admission::admitted;
}

void ConnectionCaps::leave_prelogin(Entry& entry) {
  if (!entry.prelogin) return;
  entry.prelogin = false;
  --prelogin_total_;
  auto it = prelogin_by_ip_.find(entry.address);
  if (it != prelogin_by_ip_.end() && --it->second == 0) prelogin_by_ip_.erase(it);
}

void ConnectionCaps::logged_in(std::uint64_t id) {
  if (auto it = connections_.find(id); it != connections_.end()) leave_prelogin(it->second);
}

void ConnectionCaps::closed(std::uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  leave_prelogin(it->second);
  connections_.erase(it);
}

const char* to_string(ConnectionCaps::Admission admission) {
  switch (admission) {
    case ConnectionCaps::Admission::admitted:
      return "admitted";
    case ConnectionCaps::Admission::too_many:
      return "too many connections";
    case ConnectionCaps::Admission::too_many_prelogin:
      return "too many connections not logged in";
    case ConnectionCaps::Admission::too_many_from_address:
      return "too many connections not logged in from this address";
  }
  return "?";
}

}  // namespace parley::server::limits
