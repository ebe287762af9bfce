// How much waits on disk for each recipient and from each sender: the bounds that keep
// one user from filling the server's disk with stored messages (issue 17). A row counts
// from when it is queued for writing until it is deleted (acknowledged) or its write
// failed. Pure and small: the mailbox keeps it up to date, the registry asks it before
// accepting a message for an offline recipient.
//
// Defaults (flags of parley-server, README "Limits"): 1,000 messages and 8 MiB waiting
// for one recipient, 5,000 messages and 32 MiB waiting from one sender. Beyond them a
// message for an offline recipient is refused for that recipient as `rate_limited`: it
// is accepted again once the recipient has read some of what waits.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace parley::server {

struct MailboxQuotaSettings {
  std::uint64_t max_per_recipient = 1000;
  std::uint64_t max_bytes_per_recipient = 8 << 20;
  std::uint64_t max_per_sender = 5000;
  std::uint64_t max_bytes_per_sender = 32 << 20;
};

class MailboxQuota {
 public:
  struct Load {
    std::uint64_t rows = 0;
    std::uint64_t bytes = 0;
  };

  explicit MailboxQuota(MailboxQuotaSettings settings = {}) : settings_(settings) {}

  // Whether one more row of `bytes` from `from` to `to` stays within both bounds.
  bool fits(const std::string& from, const std::string& to, std::uint64_t bytes) const {
    const Load r = of_recipient(to), s = of_sender(from);
    return r.rows < settings_.max_per_recipient && r.bytes + bytes <= settings_.max_bytes_per_recipient &&
           s.rows < settings_.max_per_sender && s.bytes + bytes <= settings_.max_bytes_per_sender;
  }
  void add(const std::string& from, const std::string& to, std::uint64_t bytes) {
    count(to_[to], bytes);
    count(from_[from], bytes);
  }
  void remove(const std::string& from, const std::string& to, std::uint64_t bytes) {
    release(to_, to, bytes);
    release(from_, from, bytes);
  }
  Load of_recipient(const std::string& to) const { return find(to_, to); }
  Load of_sender(const std::string& from) const { return find(from_, from); }

 private:
  using Loads = std::unordered_map<std::string, Load>;
  static void count(Load& load, std::uint64_t bytes) {
    ++load.rows;
    load.bytes += bytes;
  }
  // Users with nothing waiting are forgotten: memory follows what is stored.
  static void release(Loads& loads, const std::string& user, std::uint64_t bytes) {
    auto it = loads.find(user);
    if (it == loads.end()) return;
    Load& load = it->second;
    load.rows -= load.rows > 0 ? 1 : 0;
    load.bytes -= std::min(load.bytes, bytes);
    if (load.rows == 0) loads.erase(it);
  }
  static Load find(const Loads& loads, const std::string& user) {
    auto it = loads.find(user);
    return it == loads.end() ? Load{} : it->second;
  }

  MailboxQuotaSettings settings_;
  Loads to_, from_;
};

}  // namespace parley::server
