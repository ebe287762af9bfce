#include "peer/web/event_log.hpp"

namespace parley::peer::web {

std::uint64_t EventLog::append(std::string data) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    entries_.push_back({id, std::move(data)});
    if (entries_.size() > capacity_) entries_.pop_front();
  }
  changed_.notify_all();
  return id;
}

EventLog::Batch EventLog::collect(std::uint64_t after) const {
  Batch batch;
  batch.closed = closed_;
  batch.last_id = next_id_ - 1;
  const std::uint64_t first = entries_.empty() ? next_id_ : entries_.front().id;
  if (after > batch.last_id || after + 1 < first) {
    batch.reset = true;
    return batch;
  }
  for (auto it = entries_.begin() + static_cast<std::ptrdiff_t>(after + 1 - first); it != entries_.end();
       ++it)
    batch.entries.push_back(*it);
  return batch;
}

EventLog::Batch EventLog::read(std::uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return closed_ || next_id_ - 1 != after; });
  return collect(after);
}

std::uint64_t EventLog::last_id() const {
  std::lock_guard lock(mutex_);
  return next_id_ - 1;
}

void EventLog::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

}  // namespace parley::peer::web
