// Where the bench's clients connect: resolved once, before any client starts.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

namespace parley::bench {

// The first address of `host`:`port`; throws std::runtime_error saying why there is none.
asio::ip::tcp::endpoint resolve_server(asio::io_context& io, const std::string& host, std::uint16_t port);

}  // namespace parley::bench
