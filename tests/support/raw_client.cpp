#include "tests/support/raw_client.hpp"

#include <asio/connect.hpp>
#include <asio/write.hpp>

#include "shared/net/tls_context.hpp"
#include "shared/wire/limits.hpp"

namespace parley::test {

RawTlsClient::RawTlsClient(std::uint16_t port, const net::Identity* identity)
    : tls_(identity ? net::make_link_context(*identity) : net::make_client_context()),
      stream_(io_, tls_),
      port_(port) {}

void RawTlsClient::shrink_receive_buffer() {
  stream_.next_layer().open(asio::ip::tcp::v4());
  stream_.next_layer().set_option(asio::socket_base::receive_buffer_size(4096));
}

void RawTlsClient::bind_source(const std::string& address) {
  auto& socket = stream_.next_layer();
  if (!socket.is_open()) socket.open(asio::ip::tcp::v4());
  socket.bind({asio::ip::make_address(address), 0});
}

std::optional<wire::LoginResult> RawTlsClient::log_in(const std::string& user, const std::string& password,
                                                      std::chrono::milliseconds timeout, bool sign_up) {
  if (!std::exchange(said_hello_, true)) write(wire::Hello{wire::kProtocolVersion, "raw"});
  write(wire::Login{1, user, password, {}, sign_up});
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = read(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!m) return std::nullopt;
    if (auto* result = std::get_if<wire::LoginResult>(&*m)) return *result;
  }
  return std::nullopt;
}

bool RawTlsClient::handshake() {
  std::error_code ec;
  stream_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  if (ec) return false;
  stream_.handshake(asio::ssl::stream_base::client, ec);
  return !ec;
}

void RawTlsClient::write(const std::vector<std::uint8_t>& bytes) {
  std::error_code ignored;
  asio::write(stream_, asio::buffer(bytes), ignored);
}

bool RawTlsClient::fill(std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> chunk(4096);
  bool done = false;
  stream_.async_read_some(asio::buffer(chunk), [&](std::error_code ec, std::size_t n) {
    done = true;
    if (ec) {
      if (ec != asio::error::operation_aborted) eof_ = true;
      return;
    }
    buffer_.insert(buffer_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  });
  io_.restart();
  io_.run_for(timeout);
  if (!done) {
    stream_.next_layer().cancel();
    io_.restart();
    io_.run();
    return false;
  }
  return !eof_;
}

std::optional<std::vector<std::uint8_t>> RawTlsClient::read_payload(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (buffer_.size() >= wire::kFrameHeader) {
      std::size_t length = wire::read_be32(buffer_.data());
      if (buffer_.size() >= wire::kFrameHeader + length) {
        std::vector<std::uint8_t> payload(
            buffer_.begin() + wire::kFrameHeader,
            buffer_.begin() + static_cast<std::ptrdiff_t>(wire::kFrameHeader + length));
        buffer_.erase(buffer_.begin(),
                      buffer_.begin() + static_cast<std::ptrdiff_t>(wire::kFrameHeader + length));
        return payload;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (eof_ || now >= deadline) return std::nullopt;
    if (!fill(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now))) return std::nullopt;
  }
}

std::optional<wire::Message> RawTlsClient::read(std::chrono::milliseconds timeout) {
  auto payload = read_payload(timeout);
  if (!payload) return std::nullopt;
  return wire::decode(*payload).message;
}

std::optional<wire::LinkMessage> RawTlsClient::read_link(std::chrono::milliseconds timeout) {
  auto payload = read_payload(timeout);
  if (!payload) return std::nullopt;
  return wire::decode_link(*payload).message;
}

bool RawTlsClient::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    fill(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
  }
  return true;
}

}  // namespace parley::test
