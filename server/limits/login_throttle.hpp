// Who gets a password check, and when. A check costs a core for ~0.3 s, so:
// - checks wait in a queue per address, served round-robin over addresses, at most
//   `workers` at once and one at a time per user name: forty connections from one
//   guesser get one turn in the rotation, like the one real user from elsewhere;
// - an address may queue only a few checks, and a name only a few, so neither can fill
//   the queue (the rest are told `busy`, which peers retry with backoff);
// - failed logins from an address are free up to a point, then each makes the next
//   wait twice as long (1 s, 2 s, 4 s ... at most 5 minutes; forgotten after 15
//   minutes without a failure, or at a success);
// - sign-ups are limited per address and in all, per hour.
// Pure: the caller passes the time and runs the jobs it is handed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::server::limits {

struct LoginThrottleSettings {
  std::size_t workers = 2;  // checks running at once
  std::size_t queued_per_ip = 4;
  std::size_t queued_per_name = 4;
  std::size_t queued_total = 1024;
  int free_failures_per_ip = 10;
  std::int64_t failure_delay_ms = 1000;
  std::int64_t max_failure_delay_ms = 5 * 60'000;
  std::int64_t forget_failures_ms = 15 * 60'000;
  std::size_t sign_ups_per_ip_per_hour = 5;
  std::size_t sign_ups_per_hour = 100;
};

class LoginThrottle {
 public:
  using Job = std::function<void()>;

  explicit LoginThrottle(LoginThrottleSettings settings = {}) : settings_(settings) {}

  // ---- failures per address ----
  // How long `address` must wait before its next password check (0: now).
  std::int64_t wait_ms(const std::string& address, std::int64_t now_ms) const;
  void failed(const std::string& address, std::int64_t now_ms);
  void succeeded(const std::string& address) { failures_.erase(address); }

  // ---- the fair queue ----
  // Queues a check of `name` for `address`; false if that address, that name or the
  // whole queue is full (the job is dropped).
  bool enqueue(const std::string& address, const std::string& name, Job job);
  // Takes the jobs that may start now, in fair order, and counts them as running.
  std::vector<Job> ready();
  // A job of `name` that ready() handed out has finished.
  void finished(const std::string& name);
  std::size_t queued() const { return queued_; }
  std::size_t running() const { return running_.size(); }

  // ---- sign-ups ----
  // How long `address` must wait before it may create an account (0: now).
  std::int64_t sign_up_wait_ms(const std::string& address, std::int64_t now_ms);
  void signed_up(const std::string& address, std::int64_t now_ms);

  // Forgets failures and sign-ups too old to matter.
  void prune(std::int64_t now_ms);

 private:
  struct Waiting {
    std::string name;  // folded
    Job job;
  };
  struct Failures {
    int count = 0;
    std::int64_t last_ms = 0;
  };
  std::size_t queued_for_name(const std::string& name) const;

  LoginThrottleSettings settings_;
  std::unordered_map<std::string, std::deque<Waiting>> queues_;  // by address
  std::deque<std::string> rotation_;                             // addresses with a queue, next first
  std::multiset<std::string> queued_names_;
  std::set<std::string> running_;  // names being checked
  std::size_t queued_ = 0;
  std::unordered_map<std::string, Failures> failures_;
  std::unordered_map<std::string, std::deque<std::int64_t>> sign_ups_by_ip_;
  std::deque<std::int64_t> sign_ups_;
};

}  // namespace parley::server::limits
