#include "shared/net/connection.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>

#include "shared/net/async.hpp"

namespace parley::net {
namespace {
constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kCoalesceLimit = 16 * 1024;  // one TLS record's worth
constexpr auto kShutdownBound = std::chrono::seconds(2);
}  // namespace

Connection::Connection(TlsStream stream, ConnectionLimits limits)
    : stream_(std::move(stream)),
      limits_(limits),
      assembler_(limits.max_frame),
      wake_writer_(stream_.get_executor(), Clock::time_point::max()),
      remote_address_(stream_.remote_address()) {}

void Connection::start(Role role, Handlers handlers) {
  handlers_ = std::move(handlers);
  asio::co_spawn(stream_.get_executor(), run(role), LogExceptions{"connection " + remote_address_});
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
  asio::co_spawn(stream_.get_executor(), write_loop(), LogExceptions{"writer " + remote_address_});
  co_await read_loop();
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  std::vector<std::uint8_t> buffer(kReadChunk);
  while (is_open() || state_ == State::flushing) {
    auto [ec, n] = co_await stream_.read_some(asio::buffer(buffer));
    if (ec) {
      finish(ec == asio::error::eof || ec == asio::ssl::error::stream_truncated
                 ? "closed by peer"
                 : "read failed: " + ec.message());
      co_return;
    }
    last_received_ = Clock::now();
    if (state_ != State::open) continue;  // flushing: discard input, keep draining
    bool ok = assembler_.feed(std::span<const std::uint8_t>(buffer.data(), n), [&](auto payload) {
      if (state_ == State::open && handlers_.on_frame) handlers_.on_frame(payload);
    });
    if (!ok) {
      finish("protocol error: " + assembler_.error());
      co_return;
    }
    assembler_.shrink();
  }
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();
  while (state_ == State::open || state_ == State::flushing) {
    if (outbox_.empty()) {
      if (state_ == State::flushing) break;
      co_await wake_writer_.async_wait(use_nothrow);
      continue;
    }
    std::error_code ec;
    write_started_ = Clock::now();
    if (outbox_.size() == 1) {
      wire::SharedFrame frame = std::move(outbox_.front());
      outbox_.pop_front();
      queued_bytes_ -= frame->size();
      ec = co_await stream_.write(asio::buffer(*frame));
    } else {
      coalesce_.clear();
      while (!outbox_.empty() && coalesce_.size() + outbox_.front()->size() <= kCoalesceLimit) {
        coalesce_.insert(coalesce_.end(), outbox_.front()->begin(), outbox_.front()->end());
        queued_bytes_ -= outbox_.front()->size();
        outbox_.pop_front();
      }
      if (coalesce_.empty()) {  // one big frame at the front: send it on its own
        wire::SharedFrame frame = std::move(outbox_.front());
        outbox_.pop_front();
        queued_bytes_ -= frame->size();
        ec = co_await stream_.write(asio::buffer(*frame));
      } else {
        ec = co_await stream_.write(asio::buffer(coalesce_));
      }
      if (coalesce_.capacity() > 4 * kCoalesceLimit) std::vector<std::uint8_t>().swap(coalesce_);
    }
    write_started_.reset();
    if (ec) {
      finish("write failed: " + ec.message());
      co_return;
    }
  }
  if (state_ == State::flushing) {
    co_await stream_.shutdown(kShutdownBound);
    finish(close_reason_);
  }
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
  wake_writer_.cancel_one();
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
  wake_writer_.cancel_one();
}

void Connection::finish(const std::string& reason) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  stream_.close();
  wake_writer_.cancel();
  outbox_.clear();
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
