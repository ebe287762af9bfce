#include "shared/wire/frame.hpp"

#include <fmt/format.h>

#include <cstring>

namespace parley::wire {

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void write_be32(std::uint8_t* p, std::uint32_t value) {
  p[0] = static_cast<std::uint8_t>(value >> 24);
  p[1] = static_cast<std::uint8_t>(value >> 16);
  p[2] = static_cast<std::uint8_t>(value >> 8);
  p[3] = static_cast<std::uint8_t>(value);
}

void put_frame_header(std::vector<std::uint8_t>& out, std::size_t payload_size) {
  out.resize(out.size() + kFrameHeader);
  write_be32(out.data() + out.size() - kFrameHeader, static_cast<std::uint32_t>(payload_size));
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

std::size_t FrameAssembler::frame_total() const { return kFrameHeader + read_be32(buffer_.get()); }

namespace {
// One parked buffer per thread, the largest seen: bounded by the largest frame limit.
struct SpareBuffer {
  std::unique_ptr<std::uint8_t[]> bytes;
  std::size_t capacity = 0;
};
thread_local SpareBuffer spare;
constexpr std::size_t kParkAtLeast = 32 * 1024;  // smaller buffers are cheap to allocate
}  // namespace

void FrameAssembler::shrink() {
  if (filled_ != 0 || !buffer_) return;
  if (capacity_ >= kParkAtLeast && capacity_ > spare.capacity) {
    spare.bytes = std::move(buffer_);
    spare.capacity = capacity_;
  }
  buffer_.reset();
  capacity_ = 0;
}

void FrameAssembler::reserve(std::size_t total) {
  if (capacity_ >= total) return;
  if (spare.capacity >= total) {
    if (filled_ > 0) std::memcpy(spare.bytes.get(), buffer_.get(), filled_);
    buffer_ = std::move(spare.bytes);
    capacity_ = spare.capacity;
    spare.capacity = 0;
    return;
  }
  auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(total);
  if (filled_ > 0) std::memcpy(bigger.get(), buffer_.get(), filled_);
  buffer_ = std::move(bigger);
  capacity_ = total;
}

void FrameAssembler::append(std::span<const std::uint8_t> bytes) {
  // The header alone first; its length (already checked) sizes the rest exactly.
  reserve(filled_ < kFrameHeader ? kFrameHeader : frame_total());
  std::memcpy(buffer_.get() + filled_, bytes.data(), bytes.size());
  filled_ += bytes.size();
}

std::span<std::uint8_t> FrameAssembler::direct_space() {
  if (!error_.empty() || filled_ < kFrameHeader) return {};
  std::size_t total = frame_total();
  reserve(total);
  return std::span<std::uint8_t>(buffer_.get() + filled_, total - filled_);
}

}  // namespace parley::wire
