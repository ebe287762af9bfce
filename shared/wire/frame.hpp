// Framing: a 4-byte big-endian payload length, then the payload. Pure byte handling,
// no sockets: the connection feeds whatever arrived, the assembler hands back whole
// frames, and a length above the limit is an error before any byte of it is buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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

  // Where the rest of the frame in progress goes, once its header is in: reading
  // straight into it saves copying a large payload. Empty when no payload is pending.
  std::span<std::uint8_t> direct_space();
  // Counts `n` bytes written into direct_space(), delivering the frame once complete.
  template <class OnFrame>
  void commit_direct(std::size_t n, OnFrame&& on_frame);

  const std::string& error() const { return error_; }
  // Bytes held for an incomplete frame (0 between frames): idle connections hold nothing.
  std::size_t buffered() const { return filled_; }
  // Gives up the partial-frame buffer when it is empty. A large one is parked for the
  // next large frame on this thread instead of freed: a bulk transfer drains its socket
  // many times a second, and allocating 128 KiB anew each time means fresh pages.
  void shrink();

 private:
  bool check_length(std::uint32_t length);
  std::size_t frame_total() const;  // header + payload of the frame in progress
  void reserve(std::size_t total);
  void append(std::span<const std::uint8_t> bytes);

  std::size_t max_payload_;
  // Header and payload bytes of the frame in progress. Not a vector: direct_space()
  // hands out room that must not be zero-filled first.
  std::unique_ptr<std::uint8_t[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t filled_ = 0;
  std::string error_;
};

std::uint32_t read_be32(const std::uint8_t* p);
void write_be32(std::uint8_t* p, std::uint32_t value);

template <class OnFrame>
bool FrameAssembler::feed(std::span<const std::uint8_t> bytes, OnFrame&& on_frame) {
  if (!error_.empty()) return false;
  while (!bytes.empty()) {
    if (filled_ == 0 && bytes.size() >= kFrameHeader) {
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
    if (filled_ < kFrameHeader) {
      std::size_t take = std::min(kFrameHeader - filled_, bytes.size());
      append(bytes.first(take));
      bytes = bytes.subspan(take);
      if (filled_ < kFrameHeader) return true;
      if (!check_length(read_be32(buffer_.get()))) return false;
    }
    std::size_t take = std::min(frame_total() - filled_, bytes.size());
    append(bytes.first(take));
    bytes = bytes.subspan(take);
    commit_direct(0, on_frame);
  }
  return true;
}

template <class OnFrame>
void FrameAssembler::commit_direct(std::size_t n, OnFrame&& on_frame) {
  filled_ += n;
  if (filled_ >= kFrameHeader && filled_ == frame_total()) {
    filled_ = 0;
    on_frame(std::span<const std::uint8_t>(buffer_.get() + kFrameHeader, read_be32(buffer_.get())));
  }
}

}  // namespace parley::wire
