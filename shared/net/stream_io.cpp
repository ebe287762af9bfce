#include "shared/net/stream_io.hpp"

#include <fmt/format.h>

#include <vector>

#include "shared/net/async.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"

namespace parley::net {

asio::awaitable<std::error_code> read_some(TlsStream& stream, asio::mutable_buffer buffer, std::size_t* n) {
  for (;;) {
    auto r = stream.try_read(buffer);
    if (r.error) co_return r.error;
    if (!r.want) {
      *n = r.bytes;
      co_return std::error_code{};
    }
    if (auto ec = co_await stream.wait(*r.want)) co_return ec;
  }
}

asio::awaitable<std::error_code> read_exact(TlsStream& stream, asio::mutable_buffer buffer) {
  auto* p = static_cast<std::uint8_t*>(buffer.data());
  std::size_t left = buffer.size();
  while (left > 0) {
    std::size_t n = 0;
    if (auto ec = co_await read_some(stream, asio::buffer(p, left), &n)) co_return ec;
    p += n;
    left -= n;
  }
  co_return std::error_code{};
}

asio::awaitable<std::error_code> write_all(TlsStream& stream, asio::const_buffer buffer) {
  auto* p = static_cast<const std::uint8_t*>(buffer.data());
  std::size_t left = buffer.size();
  while (left > 0) {
    auto r = stream.try_write(asio::buffer(p, left));
    if (r.error) co_return r.error;
    p += r.bytes;
    left -= r.bytes;
    if (r.want)
      if (auto ec = co_await stream.wait(*r.want)) co_return ec;
  }
  co_return std::error_code{};
}

asio::awaitable<std::error_code> write_link_frame(TlsStream& stream, const wire::LinkMessage& message) {
  const auto frame = wire::encode_frame(message);
  co_return co_await write_all(stream, asio::buffer(frame));
}

asio::awaitable<std::optional<wire::LinkMessage>> read_link_frame(TlsStream& stream, std::size_t max_payload,
                                                                  std::string* error) {
  std::uint8_t header[wire::kFrameHeader];
  if (auto ec = co_await read_exact(stream, asio::buffer(header))) {
    *error = ec.message();
    co_return std::nullopt;
  }
  const std::uint32_t length = wire::read_be32(header);
  if (length == 0 || length > max_payload) {
    *error = fmt::format("a frame of {} bytes", length);
    co_return std::nullopt;
  }
  std::vector<std::uint8_t> payload(length);
  if (auto ec = co_await read_exact(stream, asio::buffer(payload))) {
    *error = ec.message();
    co_return std::nullopt;
  }
  auto decoded = wire::decode_link(payload);
  if (!decoded.message) *error = decoded.error;
  co_return std::move(decoded.message);
}

Watchdog::Watchdog(TlsStream& stream, std::chrono::milliseconds timeout)
    : timer_(stream.get_executor(), timeout) {
  // The stream may be gone by the time a cancelled wait's handler runs: `armed` says.
  timer_.async_wait([&stream, armed = armed_, fired = fired_](std::error_code ec) {
    if (ec || !*armed) return;
    *fired = true;
    stream.close();
  });
}

void Watchdog::disarm() {
  *armed_ = false;
  timer_.cancel();
}

}  // namespace parley::net

#include <asio/connect.hpp>

namespace parley::net {

asio::awaitable<std::error_code> connect_within(asio::ip::tcp::socket& socket, const std::string& host,
                                                std::uint16_t port, std::chrono::milliseconds timeout) {
  asio::ip::tcp::resolver resolver(socket.get_executor());
  auto [rec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port), use_nothrow);
  if (rec) co_return rec;
  // An unreachable address must not hang the caller: a watchdog closes the socket under
  // the connect. Its handler may already be queued when the connect ends: `connecting`
  // keeps it from touching the socket then.
  asio::steady_timer watchdog(socket.get_executor(), timeout);
  auto connecting = std::make_shared<bool>(true);
  auto timed_out = std::make_shared<bool>(false);
  watchdog.async_wait([&socket, connecting, timed_out](std::error_code ec) {
    if (ec || !*connecting) return;
    *timed_out = true;
    socket.close(ec);
  });
  auto [cec, connected_to] = co_await asio::async_connect(socket, endpoints, use_nothrow);
  *connecting = false;
  watchdog.cancel();
  if (cec && *timed_out) co_return asio::error::timed_out;
  co_return cec;
}

}  // namespace parley::net
