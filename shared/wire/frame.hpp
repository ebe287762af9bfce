// Framing: a 4-byte big-endian payload length, then the payload. Pure byte handling,
// no sockets: the connection feeds whatever arrived, the assembler hands back whole
// frames, and a length above the limit is an error before any byte of it is buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace parley::wire {

inline constexpr std::size_t kFrameHeader = 4;

// Appends a header for `payload_size` bytes to `out`.
void put_frame_header(std::vector<std::uint8_t>& out, std::size_t payload_size);

class FrameAssembler {
 public:
  explicit FrameAssembler(std::size_t max_payload) : max_payload_(max_payload) {}

  // Consumes `bytes`, calling on_frame(std::span<const std::uint8_t>) for each complete
  // payload (the span is valid only during the call). Returns false, with error() set,
  // as soon as a header announces an oversized frame; the stream is then unusable.
  template <class OnFrame>
  bool feed(std::span<const std::uint8_t> bytes, OnFrame&& on_frame);

  const std::string& error() const { return error_; }
  // Bytes held for an incomplete frame (0 between frames): idle connections hold nothing.
  std::size_t buffered() const { return partial_.size(); }
  // Releases the partial-frame buffer's memory when it is empty.
  void shrink() {
    if (partial_.empty()) std::vector<std::uint8_t>().swap(partial_);
  }

 private:
  bool check_length(std::uint32_t length);

  std::size_t max_payload_;
  std::vector<std::uint8_t> partial_;  // header and payload bytes of the frame in progress
  std::string error_;
};

std::uint32_t read_be32(const std::uint8_t* p);

template <class OnFrame>
bool FrameAssembler::feed(std::span<const std::uint8_t> bytes, OnFrame&& on_frame) {
  if (!error_.empty()) return false;
  while (!bytes.empty()) {
    if (partial_.empty() && bytes.size() >= kFrameHeader) {
      // Fast path: whole frames straight from the caller's buffer, no copy.
      std::uint32_t length = read_be32(bytes.data());
      if (!check_length(length)) return false;
      if (bytes.size() - kFrameHeader >= length) {
        on_frame(bytes.subspan(kFrameHeader, length));
        bytes = bytes.subspan(kFrameHeader + length);
        continue;
      }
    }
    // Slow path: accumulate a header, then the rest of its payload.
    if (partial_.size() < kFrameHeader) {
      std::size_t take = std::min(kFrameHeader - partial_.size(), bytes.size());
      partial_.insert(partial_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
      bytes = bytes.subspan(take);
      if (partial_.size() < kFrameHeader) return true;
      if (!check_length(read_be32(partial_.data()))) return false;
    }
    std::size_t total = kFrameHeader + read_be32(partial_.data());
    std::size_t take = std::min(total - partial_.size(), bytes.size());
    partial_.insert(partial_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    if (partial_.size() == total) {
      on_frame(std::span<const std::uint8_t>(partial_).subspan(kFrameHeader));
      partial_.clear();
    }
  }
  return true;
}

}  // namespace parley::wire
