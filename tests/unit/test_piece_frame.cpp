#include <doctest/doctest.h>

#include "peer/sharing/piece_reader.hpp"
#include "shared/wire/limits.hpp"
#include "shared/wire/piece_frame.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley;
using namespace parley::wire;

namespace {

std::string some_bytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 131 + 7) % 251);
  return out;
}

std::vector<std::uint8_t> payload_of(const std::vector<std::uint8_t>& frame) {
  return {frame.begin() + kFrameHeader, frame.end()};
}

}  // namespace

TEST_CASE("piece frames: the header before the bytes is what make_frame writes for PieceData") {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, kMaxPiece}) {
    CAPTURE(size);
    const std::string data = some_bytes(size);
    const std::uint32_t id = 0xA1B2C3D4;
    std::vector<std::uint8_t> frame(kPieceHeader);
    put_piece_header(std::span(frame).first<kPieceHeader>(), id, static_cast<std::uint32_t>(size));
    frame.insert(frame.end(), data.begin(), data.end());
    CHECK(frame == *make_frame(LinkMessage{PieceData{id, data}}));
  }
}

TEST_CASE("piece frames: a holder's piece read from disk is byte for byte make_frame's") {
  test::TempDir dir;
  const std::string content = some_bytes(3 * kMaxPiece + 5);
  test::write_text(dir / "f.bin", content);
  for (auto [offset, length] : {std::pair<std::uint64_t, std::uint32_t>{0, kMaxPiece},
                                {kMaxPiece + 3, kMaxPiece},
                                {3 * kMaxPiece, 5},
                                {17, 1}}) {
    CAPTURE(offset);
    auto frame = peer::read_piece_frame(dir / "f.bin", offset, 42, length);
    CHECK(*frame == *make_frame(LinkMessage{PieceData{42, content.substr(offset, length)}}));
  }
  CHECK_THROWS(peer::read_piece_frame(dir / "f.bin", content.size() - 2, 1, 3));  // past the end
  CHECK_THROWS(peer::read_piece_frame(dir / "missing.bin", 0, 1, 3));
}

TEST_CASE("piece frames: a piece is decoded in place, and refused wherever decode_link refuses it") {
  const std::string data = some_bytes(5000);
  const auto frame = encode_frame(LinkMessage{PieceData{9, data}});
  const auto payload = payload_of(frame);
  REQUIRE(is_piece(payload));
  auto piece = decode_piece(payload);
  REQUIRE(piece.message);
  CHECK(piece.message->id == 9);
  CHECK(piece.message->data.data() == payload.data() + (kPieceHeader - kFrameHeader));  // not a copy
  CHECK(std::string(piece.message->data.begin(), piece.message->data.end()) == data);

  // Every other message is not a piece.
  for (const LinkMessage& other : {LinkMessage{PieceRequest{9, "f", 0, 0, 10}},
                                   LinkMessage{PieceRefused{9, "no"}}, LinkMessage{LinkHeartbeat{}}}) {
    auto p = payload_of(encode_frame(other));
    CHECK_FALSE(is_piece(p));
    CHECK_FALSE(decode_piece(p).message);
  }
  // Broken pieces: both decoders refuse them.
  auto refused_by_both = [](const std::vector<std::uint8_t>& p) {
    CHECK_FALSE(decode_link(p).message);
    auto d = decode_piece(p);
    CHECK_FALSE(d.message);
    CHECK_FALSE(d.error.empty());
  };
  auto truncated = payload;
  truncated.pop_back();
  refused_by_both(truncated);
  auto trailing = payload;
  trailing.push_back(0);
  refused_by_both(trailing);
  refused_by_both({payload.begin(), payload.begin() + 12});  // cut inside the header
  auto big = payload_of(encode_frame(LinkMessage{PieceData{1, std::string(kMaxPiece + 1, 'x')}}));
  REQUIRE(is_piece(big));
  refused_by_both(big);
  auto not_little = payload;
  not_little[0] = 0;
  CHECK_FALSE(is_piece(not_little));
}
