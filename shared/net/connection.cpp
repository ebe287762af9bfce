#include "shared/net/connection.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <cstring>
#include <utility>

#include "shared/net/async.hpp"

namespace parley::net {
namespace {
constexpr std::size_t kCoalesceLimit = kMaxTlsRecord;
// A reader that keeps finding input yields after this much, so one busy connection
// cannot hold the loop.
constexpr std::size_t kReadBeforeYield = 256 * 1024;
constexpr auto kShutdownBound = std::chrono::seconds(2);

// Shared by every connection on the thread: the bytes are consumed before the reader
// suspends again, and the writer copies out whatever the socket does not take.
std::span<std::uint8_t> read_scratch() {
  thread_local std::vector<std::uint8_t> buffer(kMaxTlsRecord);
  return buffer;
}
std::vector<std::uint8_t>& write_scratch() {
  thread_local std::vector<std::uint8_t> buffer = [] {
    std::vector<std::uint8_t> b;
    b.reserve(kCoalesceLimit);
    return b;
  }();
  return buffer;
}
}  // namespace

Connection::Connection(TlsStream stream, ConnectionLimits limits)
    : stream_(std::move(stream)),
      flusher_(
          asio::use_service<FlushScheduler>(asio::query(stream_.get_executor(), asio::execution::context))),
      limits_(limits),
      assembler_(limits.max_frame),
      remote_address_(stream_.remote_address()) {}

void Connection::start(Role role, Handlers handlers) {
  handlers_ = std::move(handlers);
  // Posted, never run inline: a handshake that completes at the first try would
  // otherwise call the handlers before start() returns, while the owner is still
  // setting up (for example, about to queue its first request).
  asio::post(stream_.get_executor(), [self = shared_from_this(), role] {
    asio::co_spawn(self->stream_.get_executor(), self->run(role),
                   LogExceptions{"connection " + self->remote_address_});
  });
}

asio::awaitable<void> Connection::run(Role role) {
  auto self = shared_from_this();
  if (auto ec = co_await stream_.handshake(role)) {
    finish("TLS handshake failed: " + ec.message());
    co_return;
  }
  if (state_ != State::handshaking) co_return;  // closed by a deadline meanwhile
  if (handlers_.on_handshake) {
    if (auto refusal = handlers_.on_handshake(); !refusal.empty()) {
      finish(refusal);
      co_return;
    }
  }
  state_ = State::open;
  last_received_ = Clock::now();
  if (!outbox_.empty()) schedule_flush();
  read_ready();
}

// Reads until the socket has nothing more, then waits for it with a plain completion
// handler: between reads an idle connection holds no coroutine frame and no buffer.
void Connection::read_ready() {
  std::size_t since_yield = 0;
  while (is_open() || state_ == State::flushing) {
    if (reading_paused_ && state_ == State::open) {
      read_parked_ = true;
      return;
    }
    // The rest of a large frame goes straight into place; anything else into scratch.
    std::span<std::uint8_t> direct =
        state_ == State::open ? assembler_.direct_space() : std::span<std::uint8_t>{};
    std::span<std::uint8_t> into = direct.empty() ? read_scratch() : direct;
    TlsStream::IoResult r = stream_.try_read(asio::buffer(into.data(), into.size()));
    if (r.want) {
      assembler_.shrink();
      stream_.async_wait(*r.want, [self = shared_from_this()](std::error_code ec) {
        if (self->is_closed()) return;
        if (ec) {
          self->finish(self->state_ == State::flushing ? self->close_reason_
                                                       : "read failed: " + ec.message());
          return;
        }
        self->read_ready();
      });
      return;
    }
    if (r.error) {
      if (state_ == State::flushing)  // the other side closing is the goodbye's last step
        finish(close_reason_);
      else
        finish(r.error == asio::error::eof || r.error == asio::ssl::error::stream_truncated
                   ? "closed by peer"
                   : "read failed: " + r.error.message());
      return;
    }
    last_received_ = Clock::now();
    if (state_ != State::open) continue;  // flushing: discard input, keep draining
    flusher_.note_input();
    auto deliver = [&](std::span<const std::uint8_t> payload) {
      if (state_ == State::open && handlers_.on_frame) handlers_.on_frame(payload);
    };
    if (!direct.empty()) {
      assembler_.commit_direct(r.bytes, deliver);
    } else if (!assembler_.feed(std::span<const std::uint8_t>(into.data(), r.bytes), deliver)) {
      finish("protocol error: " + assembler_.error());
      return;
    }
    since_yield += r.bytes;
    if (since_yield >= kReadBeforeYield) {
      asio::post(stream_.get_executor(), [self = shared_from_this()] { self->read_ready(); });
      return;
    }
  }
}

void Connection::resume_reading() {
  reading_paused_ = false;
  if (!std::exchange(read_parked_, false)) return;
  last_received_ = Clock::now();
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->is_closed()) self->read_ready();
  });
}

void Connection::schedule_flush() {
  if (flush_scheduled_ || draining_) return;
  flush_scheduled_ = true;
  flusher_.add(shared_from_this(), stream_.get_executor());
}

void Connection::flush() {
  flush_scheduled_ = false;
  if (draining_ || (state_ != State::open && state_ != State::flushing)) return;
  while (!outbox_.empty()) {
    // One large frame is written from where it lies; small ones are gathered into one record.
    wire::SharedFrame single;
    std::vector<std::uint8_t>& gathered = write_scratch();
    gathered.clear();
    if (outbox_.front()->size() > kCoalesceLimit / 2 || outbox_.size() == 1) {
      single = outbox_.pop_front();
      queued_bytes_ -= single->size();
    } else {
      while (!outbox_.empty() && gathered.size() + outbox_.front()->size() <= kCoalesceLimit) {
        gathered.insert(gathered.end(), outbox_.front()->begin(), outbox_.front()->end());
        queued_bytes_ -= outbox_.front()->size();
        outbox_.pop_front();  // the frame is copied; its buffer goes now
      }
    }
    std::span<const std::uint8_t> bytes = single ? std::span<const std::uint8_t>(*single) : gathered;
    TlsStream::IoResult r = stream_.try_write(asio::buffer(bytes.data(), bytes.size()));
    if (r.error) {
      finish("write failed: " + r.error.message());
      return;
    }
    if (r.want) {
      // Keep what the socket would not take: the shared frame itself, or a copy of the
      // rest of the gathered bytes, since the scratch buffer belongs to everyone.
      if (single) {
        pending_ = std::move(single);
        pending_offset_ = r.bytes;
      } else {
        pending_ = std::make_shared<const std::vector<std::uint8_t>>(
            bytes.begin() + static_cast<std::ptrdiff_t>(r.bytes), bytes.end());
        pending_offset_ = 0;
      }
      draining_ = true;
      write_started_ = Clock::now();
      asio::co_spawn(stream_.get_executor(), drain(*r.want), LogExceptions{"writer " + remote_address_});
      return;
    }
  }
  if (state_ == State::flushing && !saying_goodbye_) {
    saying_goodbye_ = true;
    asio::co_spawn(stream_.get_executor(), goodbye(), LogExceptions{"goodbye " + remote_address_});
  }
}

asio::awaitable<void> Connection::drain(TlsStream::Want want) {
  auto self = shared_from_this();
  for (;;) {
    if (auto ec = co_await stream_.wait(want)) {
      finish("write failed: " + ec.message());
      co_return;
    }
    if (is_closed()) co_return;
    TlsStream::IoResult r = stream_.try_write(
        asio::buffer(pending_->data() + pending_offset_, pending_->size() - pending_offset_));
    pending_offset_ += r.bytes;
    if (r.error) {
      finish("write failed: " + r.error.message());
      co_return;
    }
    if (!r.want) break;
    want = *r.want;
  }
  pending_.reset();
  draining_ = false;
  write_started_.reset();
  flush();
}

asio::awaitable<void> Connection::goodbye() {
  auto self = shared_from_this();
  co_await stream_.shutdown(kShutdownBound);
  finish(close_reason_);
}

void Connection::send(wire::SharedFrame frame) {
  // Frames queued during the handshake go out once it succeeds.
  if (state_ != State::open && state_ != State::handshaking) return;
  if (queued_bytes_ + frame->size() > limits_.max_outbox_bytes) {
    close("outbox limit reached: the peer is not reading");
    return;
  }
  queued_bytes_ += frame->size();
  outbox_.push_back(std::move(frame));
  if (state_ == State::open) schedule_flush();
}

void Connection::close(const std::string& reason) { finish(reason); }

void Connection::close_after_flush(const std::string& reason) {
  if (state_ == State::handshaking) {
    finish(reason);
    return;
  }
  if (state_ != State::open) return;
  state_ = State::flushing;
  flushing_since_ = Clock::now();
  close_reason_ = reason;
  schedule_flush();
}

void Connection::finish(const std::string& reason) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  stream_.close();
  outbox_.release();
  queued_bytes_ = 0;
  // Out of the current call stack: this may run inside on_frame, and the owner may
  // destroy itself in on_close. Dropping the handlers afterwards breaks the cycle
  // between the owner and this connection.
  asio::post(stream_.get_executor(), [self = shared_from_this(), reason] {
    Handlers handlers = std::move(self->handlers_);
    self->handlers_ = {};
    if (handlers.on_close) handlers.on_close(reason);
  });
}

}  // namespace parley::net
