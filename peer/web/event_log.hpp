// The web UI's event stream as a bounded log with increasing ids: a page that lost its
// connection asks for what came after the last id it saw and misses nothing, or is told
// to reload when that id has already been dropped. The engine's thread appends; the
// HTTP server's threads read and wait, so it is the one place that takes a lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace parley::peer::web {

class EventLog {
 public:
  struct Entry {
    std::uint64_t id = 0;
    std::string data;  // one JSON object
  };
  struct Batch {
    std::vector<Entry> entries;
    // The ids after the one asked for are gone (or were never given): the reader must
    // reload its state; `last_id` is where to go on from.
    bool reset = false;
    std::uint64_t last_id = 0;
    bool closed = false;
  };

  explicit EventLog(std::size_t capacity) : capacity_(capacity) {}

  std::uint64_t append(std::string data);
  // What follows `after`, waiting up to `timeout` for something to follow it.
  Batch read(std::uint64_t after, std::chrono::milliseconds timeout);
  std::uint64_t last_id() const;
  // Wakes every reader for good: the server is stopping.
  void close();

 private:
  Batch collect(std::uint64_t after) const;

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Entry> entries_;
  std::uint64_t next_id_ = 1;
  bool closed_ = false;
};

}  // namespace parley::peer::web
