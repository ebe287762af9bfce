#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "shared/wire/frame.hpp"

using parley::wire::FrameAssembler;

namespace {

std::vector<std::uint8_t> frame(const std::string& payload) {
  std::vector<std::uint8_t> out;
  parley::wire::put_frame_header(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<std::string> feed_all(FrameAssembler& assembler, const std::vector<std::uint8_t>& bytes,
                                  std::size_t step, bool* ok = nullptr) {
  std::vector<std::string> frames;
  bool good = true;
  for (std::size_t i = 0; i < bytes.size() && good; i += step) {
    std::size_t n = std::min(step, bytes.size() - i);
    good = assembler.feed(std::span<const std::uint8_t>(bytes.data() + i, n),
                          [&](auto payload) { frames.emplace_back(payload.begin(), payload.end()); });
  }
  if (ok) *ok = good;
  return frames;
}

}  // namespace

TEST_CASE("frames come out whole however the bytes are split") {
  std::vector<std::uint8_t> stream;
  const std::vector<std::string> payloads{"a", "hello", std::string(5000, 'x')};
  for (const auto& p : payloads) {
    auto f = frame(p);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t step : {1u, 2u, 3u, 4u, 5u, 7u, 1000u, 100000u}) {
    FrameAssembler assembler(64 * 1024);
    auto frames = feed_all(assembler, stream, step);
    REQUIRE(frames.size() == 3);
    CHECK(frames[0] == "a");
    CHECK(frames[1] == "hello");
    CHECK(frames[2].size() == 5000);
    CHECK(frames[2] == payloads[2]);
    CHECK(assembler.buffered() == 0);
  }
}

TEST_CASE("a truncated frame is held, not delivered") {
  FrameAssembler assembler(1024);
  auto f = frame("truncated");
  f.pop_back();
  bool ok = false;
  auto frames = feed_all(assembler, f, 3, &ok);
  CHECK(ok);
  CHECK(frames.empty());
  CHECK(assembler.buffered() == f.size());
}

TEST_CASE("an oversized length is refused from the header alone") {
  FrameAssembler assembler(1024);
  std::vector<std::uint8_t> header;
  parley::wire::put_frame_header(header, 0xFFFFFFF0u);
  bool ok = true;
  auto frames = feed_all(assembler, header, 1, &ok);
  CHECK_FALSE(ok);
  CHECK(frames.empty());
  CHECK(assembler.error().find("exceeds") != std::string::npos);
  CHECK(assembler.buffered() <= parley::wire::kFrameHeader);  // nothing reserved for the claimed size
  // Once broken, it stays broken.
  auto more = frame("x");
  CHECK_FALSE(assembler.feed(more, [](auto) { FAIL("no frame after an error"); }));
}

TEST_CASE("a frame exactly at the limit passes, one byte more fails") {
  FrameAssembler at(16);
  CHECK(feed_all(at, frame(std::string(16, 'a')), 5).size() == 1);
  FrameAssembler over(16);
  bool ok = true;
  feed_all(over, frame(std::string(17, 'a')), 5, &ok);
  CHECK_FALSE(ok);
}

TEST_CASE("an empty frame is a protocol error") {
  FrameAssembler assembler(16);
  bool ok = true;
  feed_all(assembler, frame(""), 4, &ok);
  CHECK_FALSE(ok);
}

// The connection's read path: whatever is pending of a frame is read straight into
// direct_space(), the rest through feed(). Frames must come out the same either way.
TEST_CASE("direct reads into the frame in progress give the same frames as feeding") {
  std::vector<std::uint8_t> stream;
  std::vector<std::string> payloads{"first", std::string(70000, 'p'), "x", std::string(3000, 'q')};
  payloads[1][12345] = 'Z';  // a byte in the middle that must land in place
  for (const auto& p : payloads) {
    auto f = frame(p);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t step : {1u, 3u, 4u, 4096u, 16384u}) {
    FrameAssembler assembler(128 * 1024);
    std::vector<std::string> frames;
    auto collect = [&](auto payload) { frames.emplace_back(payload.begin(), payload.end()); };
    std::size_t at = 0;
    bool used_direct = false;
    while (at < stream.size()) {
      auto space = assembler.direct_space();
      std::size_t n = std::min<std::size_t>({step, stream.size() - at, space.empty() ? step : space.size()});
      if (!space.empty()) {
        std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(at), n, space.begin());
        assembler.commit_direct(n, collect);
        used_direct = true;
      } else {
        REQUIRE(assembler.feed(std::span<const std::uint8_t>(stream.data() + at, n), collect));
      }
      at += n;
    }
    CAPTURE(step);
    CHECK(used_direct);
    REQUIRE(frames == payloads);
    CHECK(assembler.buffered() == 0);
    assembler.shrink();
    CHECK(assembler.direct_space().empty());  // between frames there is nothing to read into
  }
}

TEST_CASE("direct_space never offers room past the frame in progress") {
  FrameAssembler assembler(1024);
  auto f = frame(std::string(100, 'a'));
  REQUIRE(assembler.feed(std::span<const std::uint8_t>(f.data(), 10), [&](auto) { FAIL("early"); }));
  auto space = assembler.direct_space();
  CHECK(space.size() == f.size() - 10);
}
