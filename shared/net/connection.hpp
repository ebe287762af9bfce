// A framed message connection over a TlsStream: a reader that turns bytes into frames
// as the socket becomes readable, and a bounded outbox flushed by the loop's
// FlushScheduler at the end of a pass (or a few passes, under load): every frame queued
// meanwhile leaves in one TLS record and one write(2).
// Frames in the outbox are shared immutable buffers, so a broadcast is serialized once
// and queued to every recipient without copying.
//
// Idle, a connection holds no byte buffers: input is read into a buffer shared by the
// thread (or straight into the frame in progress), output is coalesced in another, and
// only output the socket cannot take yet is kept per connection.
//
// Deadlines are not enforced here: the owner (a server sweeping thousands of
// connections, or a peer with one) reads the timestamps below and calls close().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "shared/net/flush_scheduler.hpp"
#include "shared/net/frame_queue.hpp"
#include "shared/net/tls_stream.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"

namespace parley::net {

using Clock = std::chrono::steady_clock;

struct ConnectionLimits {
  std::size_t max_frame = 64 * 1024;
  // A reader that falls this far behind is cut off: it would otherwise hold memory
  // and delay nobody else but itself.
  std::size_t max_outbox_bytes = 1024 * 1024;
};

class Connection : public std::enable_shared_from_this<Connection>, public Flushable {
 public:
  struct Handlers {
    // After the TLS handshake; return a non-empty reason to refuse the other side
    // (for example an unexpected certificate fingerprint).
    std::function<std::string()> on_handshake;
    // One whole frame payload; the span is valid only during the call.
    std::function<void(std::span<const std::uint8_t>)> on_frame;
    // Exactly once, when the connection is closed for any reason.
    std::function<void(const std::string& reason)> on_close;
  };

  Connection(TlsStream stream, ConnectionLimits limits);

  // Runs the handshake, then reading and writing, until closed.
  void start(Role role, Handlers handlers);

  // Queues a frame (also during the handshake: it is sent once the handshake succeeds).
  // Closes the connection if the outbox would exceed its limit.
  void send(wire::SharedFrame frame);
  void send(const wire::Message& message) { send(wire::make_frame(message)); }
  void send(const wire::LinkMessage& message) { send(wire::make_frame(message)); }

  // Closes at once; queued frames are dropped.
  void close(const std::string& reason);
  // Sends what is queued, then TLS close_notify, then closes.
  void close_after_flush(const std::string& reason);
  // Closes and forgets the handlers, breaking the cycle with their owner, when the event
  // loop has stopped and on_close will never run. Never call it from inside a handler.
  void abandon() {
    finish("abandoned");
    handlers_ = {};
  }

  // Back-pressure: stop taking input until resume_reading() (the kernel's buffer fills,
  // then the sender's TCP window closes: the sender slows down, nothing is buffered
  // here). Writes go on. The silence while paused is not the peer's: resuming restarts
  // last_received().
  void pause_reading() { reading_paused_ = true; }
  void resume_reading();
  bool reading_paused() const { return reading_paused_; }

  bool is_open() const { return state_ == State::handshaking || state_ == State::open; }
  bool is_closed() const { return state_ == State::closed; }
  // When close_after_flush began, if it did: a goodbye that cannot be flushed must not
  // keep the connection forever.
  std::optional<Clock::time_point> flushing_since() const { return flushing_since_; }
  bool handshake_done() const { return state_ != State::handshaking; }
  Clock::time_point created() const { return created_; }
  Clock::time_point last_received() const { return last_received_; }
  // The time the current write began, if one is in flight: a write that never
  // finishes means the other side stopped reading.
  std::optional<Clock::time_point> write_started() const { return write_started_; }
  std::size_t queued_bytes() const override { return queued_bytes_; }
  const std::string& remote_address() const { return remote_address_; }
  std::string peer_fingerprint() const { return stream_.peer_fingerprint(); }

 private:
  enum class State { handshaking, open, flushing, closed };

  asio::awaitable<void> run(Role role);
  void read_ready();
  void schedule_flush();
  void flush() override;  // for the FlushScheduler
  // Waits for the socket to take pending_, then flushes what was queued meanwhile.
  asio::awaitable<void> drain(TlsStream::Want want);
  asio::awaitable<void> goodbye();
  void finish(const std::string& reason);

  TlsStream stream_;
  FlushScheduler& flusher_;
  ConnectionLimits limits_;
  Handlers handlers_;
  State state_ = State::handshaking;
  wire::FrameAssembler assembler_;
  FrameQueue outbox_;
  std::size_t queued_bytes_ = 0;
  bool flush_scheduled_ = false;
  bool draining_ = false;  // a coroutine waits for the socket to take pending_
  bool saying_goodbye_ = false;
  bool reading_paused_ = false;
  bool read_parked_ = false;   // read_ready() returned without waiting, because of the pause
  wire::SharedFrame pending_;  // bytes the socket would not take yet, from pending_offset_
  std::size_t pending_offset_ = 0;
  Clock::time_point created_ = Clock::now();
  Clock::time_point last_received_ = created_;
  std::optional<Clock::time_point> write_started_;
  std::optional<Clock::time_point> flushing_since_;
  std::string remote_address_;
  std::string close_reason_;
};

}  // namespace parley::net
