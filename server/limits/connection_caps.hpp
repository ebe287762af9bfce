// How many connections the server holds: in all, and per address before login (a
// connection that has not logged in costs memory and a TLS handshake, and proves
// nothing). Pure bookkeeping by session id; the server asks before it starts TLS.
//
// Defaults (flags of parley-server): 10,000 connections in all, 1,000 of them not
// logged in, 32 not logged in from one address.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace parley::server::limits {

struct ConnectionCapSettings {
  std::size_t max_connections = 10'000;
  std::size_t max_prelogin = 1'000;
  std::size_t max_prelogin_per_ip = 32;
};

class ConnectionCaps {
 public:
  explicit ConnectionCaps(ConnectionCapSettings settings = {}) : settings_(settings) {}

  // Takes a place for a new connection from `address`, or says why not.
  enum class Admission { admitted, too_many, too_many_prelogin, too_many_from_address };
  Admission admit(std::uint64_t id, const std::string& address);
  // The connection logged in: it no longer counts against the pre-login caps.
  void logged_in(std::uint64_t id);
  // The connection is gone (whatever its state; unknown ids are ignored).
  void closed(std::uint64_t id);

  std::size_t connections() const { return connections_.size(); }
  std::size_t prelogin() const { return prelogin_total_; }
  std::size_t prelogin_from(const std::string& address) const {
    auto it = prelogin_by_ip_.find(address);
    return it == prelogin_by_ip_.end() ? 0 : it->second;
  }

 private:
  struct Entry {
    std::string address;
    bool prelogin = true;
  };
  void leave_prelogin(Entry& entry);

  ConnectionCapSettings settings_;
  std::unordered_map<std::uint64_t, Entry> connections_;
  std::unordered_map<std::string, std::size_t> prelogin_by_ip_;
  std::size_t prelogin_total_ = 0;
};

const char* to_string(ConnectionCaps::Admission admission);

// "203.0.113.7:51234" or "::1:51234" (as connections name their remote end) without the
// port: limits per address count every port of it together.
inline std::string ip_of(const std::string& address) {
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

}  // namespace parley::server::limits
