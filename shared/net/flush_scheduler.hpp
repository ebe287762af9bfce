// Decides when queued output leaves, for every connection of one event loop together.
//
// Each write(2) on loopback costs about as much kernel time as relaying several small
// messages, so the fewer writes the better, but a chat must not hold a lone message
// back. The rule: output waits for the end of the current pass over ready sockets, and
// where the owner allows it (the registry server), while the loop keeps finding input
// it waits for a few more passes, within a bounded time. An idle loop flushes right
// after the input that caused the output; a loaded one lets each connection's messages
// gather and leave in one record. A connection that already has a full record queued
// never waits: holding it longer saves nothing and grows its outbox.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/execution_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "shared/net/tls_stream.hpp"

namespace parley::net {

// The waiting rule alone, so tests can drive it without an event loop.
class FlushPacer {
 public:
  using Clock = std::chrono::steady_clock;
  struct Bounds {
    int max_deferrals = 0;  // by default every pass flushes what it queued
    Clock::duration max_delay{};
  };

  FlushPacer() = default;
  explicit FlushPacer(Bounds bounds) : bounds_(bounds) {}

  // Output was queued while nothing was waiting: a new round begins.
  void start(Clock::time_point now) {
    first_output_ = now;
    deferrals_ = 0;
    input_seen_ = false;
  }
  // A connection read input.
  void note_input() { input_seen_ = true; }
  // At the end of a loop pass: true to flush now, false to wait one more pass.
  bool flush_now(Clock::time_point now) {
    const bool wait =
        input_seen_ && deferrals_ < bounds_.max_deferrals && now - first_output_ < bounds_.max_delay;
    input_seen_ = false;
    if (wait) ++deferrals_;
    return !wait;
  }

 private:
  Bounds bounds_;
  Clock::time_point first_output_;
  int deferrals_ = 0;
  bool input_seen_ = false;
};

// For a relay under load: the registry server, and parley-bench's generator, which pays
// the same cost per write. Measured with parley-bench (private, N=200, W=8): waiting up
// to 8 passes, never over 5 ms, cut the server's CPU per message by about 9 % (p99 about
// 1 ms higher); a 1 ms bound is shorter than one loaded pass and changes nothing. Peers
// keep the default (each pass flushes), which suits a few busy links.
inline constexpr FlushPacer::Bounds kRelayFlushBounds{.max_deferrals = 8,
                                                      .max_delay = std::chrono::milliseconds(5)};

// What the scheduler flushes: a Connection, or a test's stand-in.
class Flushable {
 public:
  virtual void flush() = 0;
  virtual std::size_t queued_bytes() const = 0;

 protected:
  ~Flushable() = default;
};

// One per execution context (an Asio service). Not thread-safe: every connection using
// it runs on the one thread that runs the context, as Parley's loops do.
class FlushScheduler : public asio::execution_context::service {
 public:
  using key_type = FlushScheduler;
  static asio::execution_context::id id;
  // Queued bytes that fill a TLS record: such a connection is flushed at every pass.
  static constexpr std::size_t kFullRecord = kMaxTlsRecord;

  explicit FlushScheduler(asio::execution_context& context);

  void set_bounds(FlushPacer::Bounds bounds) { pacer_ = FlushPacer(bounds); }
  // `connection` has output queued; it is flushed at the end of this or a later pass.
  void add(std::shared_ptr<Flushable> connection, const asio::any_io_executor& executor);
  void note_input() { pacer_.note_input(); }

 private:
  void shutdown() override;
  void post();
  void run();
  void flush_full();

  FlushPacer pacer_;
  std::vector<std::shared_ptr<Flushable>> dirty_;
  std::vector<std::shared_ptr<Flushable>> flushing_;  // kept to reuse its capacity
  asio::any_io_executor executor_;
  bool posted_ = false;
};

}  // namespace parley::net
