#include "bench/server_address.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace parley::bench {

asio::ip::tcp::endpoint resolve_server(asio::io_context& io, const std::string& host, std::uint16_t port) {
  asio::ip::tcp::resolver resolver(io);
  std::error_code ec;
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec || endpoints.empty())
    throw std::runtime_error(fmt::format("cannot resolve {}: {}", host, ec.message()));
  return endpoints.begin()->endpoint();
}

}  // namespace parley::bench
