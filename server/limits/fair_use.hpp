// Fair use per user: token buckets for what costs the server (and other users) the
// most, and quotas for what stays stored. Pure: the caller passes the time and what the
// user owns; the answer says whether to serve the request and, if not, what to tell
// them and whether the abuse is sustained enough to end the session.
//
// Defaults (flags of parley-server, see README): 10 messages a second with bursts of
// 50; 1 broadcast a second with bursts of 10; 600 recipients a minute (a group message
// to 32 counts 32); 60 direct-link requests a minute (chat and transfer); 1000 registered files and 100,000
// chunks per user. A user refused 200 times within 10 s is kicked and kept out for 5
// minutes: a peer that reads its answers slows down long before that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "server/limits/token_bucket.hpp"
#include "shared/wire/messages.hpp"

namespace parley::server::limits {

struct FairUseSettings {
  bool rate_limits = true;  // false: no per-second buckets (benchmarks); quotas still hold
  double messages_per_second = 10;
  double message_burst = 50;
  double broadcasts_per_second = 1;
  double broadcast_burst = 10;
  double recipients_per_minute = 600;
  double link_requests_per_minute = 60;
  std::uint32_t max_files_per_user = 1000;
  std::uint64_t max_chunks_per_user = 100'000;
  int refusals_before_kick = 200;  // within abuse_window_ms; 0: never kick
  std::int64_t abuse_window_ms = 10'000;
  std::int64_t abuse_ban_ms = 5 * 60'000;
};

// What a user has registered already (counted by the file index).
struct Owned {
  std::uint64_t files = 0;
  std::uint64_t chunks = 0;
};

struct Refusal {
  std::int64_t retry_after_ms = 0;  // 0 for a quota: time alone does not lift it
  std::string message;              // for the user: which limit, and when to retry
  bool kick = false;                // sustained abuse: end the session, ban for abuse_ban_ms
};

class FairUse {
 public:
  explicit FairUse(FairUseSettings settings = {}) : settings_(settings) {}

  // Whether `user` may make `request` now; takes what it costs from their buckets if so.
  // Requests that cost little (lists, pings, acknowledgements) always pass.
  std::optional<Refusal> check(const std::string& user, const wire::Message& request, Owned owned,
                               std::int64_t now_ms);
  // Whether check() could refuse `request` at all: when not, the caller need not gather
  // what check() takes (a clock reading and the user's files, for every frame).
  bool applies_to(const wire::Message& request) const;
  // Forgets users whose buckets are full again, so memory follows activity, not history.
  void prune(std::int64_t now_ms);
  std::size_t tracked() const { return users_.size(); }
  const FairUseSettings& settings() const { return settings_; }

 private:
  struct User {
    TokenBucket messages, broadcasts, recipients, links;
    std::int64_t window_start_ms = 0;
    int refusals = 0;
  };
  User& state(const std::string& user);
  std::optional<Refusal> check_rates(User& u, const wire::Message& request, std::int64_t now_ms) const;
  std::optional<Refusal> check_quota(const wire::RegisterFile& request, Owned owned) const;
  Refusal counted(User& u, Refusal refusal, std::int64_t now_ms) const;

  FairUseSettings settings_;
  std::unordered_map<std::string, User> users_;
};

// The refusal as the answer `request` expects (a LinkOffer for StartPrivate, else a Result).
wire::Message refusal_reply(const wire::Message& request, const Refusal& refusal);

}  // namespace parley::server::limits
