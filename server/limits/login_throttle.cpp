#include "server/limits/login_throttle.hpp"

#include <algorithm>

#include "shared/wire/limits.hpp"

namespace parley::server::limits {
namespace {

constexpr std::int64_t kHourMs = 3600 * 1000;

void drop_before(std::deque<std::int64_t>& times, std::int64_t cutoff) {
  while (!times.empty() && times.front() <= cutoff) times.pop_front();
}

}  // namespace

std::int64_t LoginThrottle::wait_ms(const std::string& address, std::int64_t now_ms) const {
  auto it = failures_.find(address);
  if (it == failures_.end()) return 0;
  const Failures& f = it->second;
  if (now_ms - f.last_ms > settings_.forget_failures_ms) return 0;
  const int over = f.count - settings_.free_failures_per_ip;
  if (over <= 0) return 0;
  std::int64_t delay = settings_.failure_delay_ms;
  for (int i = 1; i < over && delay < settings_.max_failure_delay_ms; ++i) delay *= 2;
  delay = std::min(delay, settings_.max_failure_delay_ms);
  return std::max<std::int64_t>(0, f.last_ms + delay - now_ms);
}

void LoginThrottle::failed(const std::string& address, std::int64_t now_ms) {
  Failures& f = failures_[address];
  if (now_ms - f.last_ms > settings_.forget_failures_ms) f.count = 0;
  ++f.count;
  f.last_ms = now_ms;
}

std::size_t LoginThrottle::queued_for_name(const std::string& name) const {
  return queued_names_.count(name);
}

bool LoginThrottle::enqueue(const std::string& address, const std::string& name, Job job) {
  const std::string key = wire::folded_username(name);
  auto& queue = queues_[address];
  if (queued_ >= settings_.queued_total || queue.size() >= settings_.queued_per_ip ||
      queued_for_name(key) >= settings_.queued_per_name) {
    if (queue.empty()) queues_.erase(address);
    return false;
  }
  if (queue.empty()) rotation_.push_back(address);
  queue.push_back({key, std::move(job)});
  queued_names_.insert(key);
  ++queued_;
  return true;
}

std::vector<LoginThrottle::Job> LoginThrottle::ready() {
  std::vector<Job> out;
  // Each pass over the rotation starts at most one job per address; an address whose
  // next names are all being checked keeps its place.
  bool started = true;
  while (started && running_.size() < settings_.workers && !rotation_.empty()) {
    started = false;
    for (std::size_t n = rotation_.size(); n > 0 && running_.size() < settings_.workers; --n) {
      std::string address = std::move(rotation_.front());
      rotation_.pop_front();
      auto& queue = queues_[address];
      auto it = std::find_if(queue.begin(), queue.end(),
                             [&](const Waiting& w) { return !running_.contains(w.name); });
      if (it != queue.end()) {
        running_.insert(it->name);
        queued_names_.erase(queued_names_.find(it->name));
        --queued_;
        out.push_back(std::move(it->job));
        queue.erase(it);
        started = true;
      }
      if (queue.empty())
        queues_.erase(address);
      else
        rotation_.push_back(std::move(address));
    }
  }
  return out;
}

void LoginThrottle::finished(const std::string& name) { running_.erase(wire::folded_username(name)); }

std::int64_t LoginThrottle::sign_up_wait_ms(const std::string& address, std::int64_t now_ms) {
  drop_before(sign_ups_, now_ms - kHourMs);
  std::int64_t wait = 0;
  if (sign_ups_.size() >= settings_.sign_ups_per_hour) wait = sign_ups_.front() + kHourMs - now_ms;
  if (auto it = sign_ups_by_ip_.find(address); it != sign_ups_by_ip_.end()) {
    drop_before(it->second, now_ms - kHourMs);
    if (it->second.size() >= settings_.sign_ups_per_ip_per_hour)
      wait = std::max(wait, it->second.front() + kHourMs - now_ms);
  }
  return std::max<std::int64_t>(0, wait);
}

void LoginThrottle::signed_up(const std::string& address, std::int64_t now_ms) {
  sign_ups_.push_back(now_ms);
  sign_ups_by_ip_[address].push_back(now_ms);
}

void LoginThrottle::prune(std::int64_t now_ms) {
  std::erase_if(failures_,
                [&](const auto& e) { return now_ms - e.second.last_ms > settings_.forget_failures_ms; });
  drop_before(sign_ups_, now_ms - kHourMs);
  for (auto it = sign_ups_by_ip_.begin(); it != sign_ups_by_ip_.end();) {
    drop_before(it->second, now_ms - kHourMs);
    it = it->second.empty() ? sign_ups_by_ip_.erase(it) : std::next(it);
  }
}

}  // namespace parley::server::limits
