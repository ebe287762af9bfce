#include "shared/wire/frame.hpp"

#include <fmt/format.h>

namespace parley::wire {

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void put_frame_header(std::vector<std::uint8_t>& out, std::size_t payload_size) {
  auto n = static_cast<std::uint32_t>(payload_size);
  out.push_back(static_cast<std::uint8_t>(n >> 24));
  out.push_back(static_cast<std::uint8_t>(n >> 16));
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
}

bool FrameAssembler::check_length(std::uint32_t length) {
  if (length > max_payload_) {
    error_ = fmt::format("frame of {} bytes exceeds the {}-byte limit", length, max_payload_);
    return false;
  }
  if (length == 0) {
    error_ = "empty frame";
    return false;
  }
  return true;
}

}  // namespace parley::wire
