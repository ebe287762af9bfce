// The frame assembler against a three-line model. The first input byte picks the frame
// limit, the second seeds how the rest (the byte stream) is cut into reads and which of
// the connection's two paths takes each read: feed() from a buffer of ours, or reading
// straight into direct_space() and commit_direct(). Whatever the cuts, the frames that
// come out and the point where an oversized or empty header stops the stream must be
// exactly the model's.
#include <cstring>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "shared/wire/frame.hpp"

using parley::fuzz::check;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::size_t kLimits[] = {1, 2, 7, 64, 300, 4096, 1 << 20};

struct Model {
  std::vector<Bytes> frames;
  bool error = false;
  std::size_t rest = 0;  // bytes of an unfinished frame at the end
};

Model model(std::span<const std::uint8_t> stream, std::size_t limit) {
  Model m;
  while (stream.size() >= parley::wire::kFrameHeader) {
    const std::uint32_t length = parley::wire::read_be32(stream.data());
    if (length == 0 || length > limit) {
      m.error = true;
      break;
    }
    if (stream.size() - parley::wire::kFrameHeader < length) break;
    m.frames.emplace_back(stream.begin() + parley::wire::kFrameHeader,
                          stream.begin() + parley::wire::kFrameHeader + length);
    stream = stream.subspan(parley::wire::kFrameHeader + length);
  }
  if (!m.error) m.rest = stream.size();
  return m;
}

// A small deterministic generator: the cuts depend on the input only.
struct Cuts {
  std::uint32_t state;
  std::uint32_t next() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::size_t limit = kLimits[data[0] % std::size(kLimits)];
  Cuts cuts{data[1] * 2654435761u + 1};
  Bytes bytes;
  if (data[0] & 0x80) {
    // A 40 KiB frame first: its buffer is large enough to be parked for the next large
    // frame on this thread, a path short fuzz inputs would never reach.
    constexpr std::size_t kLarge = 40 * 1024;
    parley::wire::put_frame_header(bytes, kLarge);
    bytes.resize(parley::wire::kFrameHeader + kLarge, data[1]);
    limit = kLimits[std::size(kLimits) - 1];
  }
  bytes.insert(bytes.end(), data + 2, data + size);
  std::span<const std::uint8_t> stream(bytes);
  const Model expected = model(stream, limit);

  parley::wire::FrameAssembler assembler(limit);
  std::vector<Bytes> got;
  auto on_frame = [&](std::span<const std::uint8_t> frame) { got.emplace_back(frame.begin(), frame.end()); };
  bool failed = false;
  while (!stream.empty() && !failed) {
    const std::uint32_t r = cuts.next();
    std::size_t n = std::min<std::size_t>(stream.size(), r % 4 == 0 ? stream.size() : 1 + (r >> 4) % 17);
    if (r % 5 == 0) assembler.shrink();
    const auto direct = assembler.direct_space();
    if (!direct.empty() && (r >> 2) % 2 == 0) {
      n = std::min(n, direct.size());
      std::memcpy(direct.data(), stream.data(), n);
      assembler.commit_direct(n, on_frame);
    } else {
      // A copy, as a socket read would be: the assembler must not keep pointers into it.
      const Bytes read(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(n));
      failed = !assembler.feed(read, on_frame);
      check(failed == !assembler.error().empty(), "feed's result matches error()");
    }
    stream = stream.subspan(n);
  }
  check(got == expected.frames, "the frames are the model's");
  check(failed == expected.error, "an oversized or empty header stops the stream, and only that");
  if (failed) {
    check(assembler.direct_space().empty(), "no direct space after an error");
    check(!assembler.feed(Bytes{0, 0, 0, 1, 7}, on_frame), "a failed stream stays failed");
  } else {
    check(assembler.buffered() == expected.rest, "holds exactly the unfinished frame");
  }
  return 0;
}
