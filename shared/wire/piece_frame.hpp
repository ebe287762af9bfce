// PieceData without copying its bytes. Pieces carry nearly every byte of a download, so
// the holder reads a piece from disk straight into its frame, right after the header
// written here, and the downloader takes the bytes as a view into the frame it received.
// The bytes are exactly those make_frame produces and decode_link accepts for a
// PieceData (the unit tests compare them); the generic path still works for pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"

namespace parley::wire {

// Frame header, endianness marker, variant index, id, then the data's 64-bit length.
inline constexpr std::size_t kPieceHeader = kFrameHeader + 1 + 4 + 4 + 8;

// Writes what precedes `length` bytes of data in the frame of PieceData{id, data}.
void put_piece_header(std::span<std::uint8_t, kPieceHeader> out, std::uint32_t id, std::uint32_t length);

struct PieceView {
  std::uint32_t id = 0;
  std::span<const std::uint8_t> data;  // inside the payload it was decoded from
};

// Whether a frame payload holds a PieceData (well formed or not).
bool is_piece(std::span<const std::uint8_t> payload);
// A PieceData payload as decode_link would check it, but leaving the bytes in place.
DecodedAs<PieceView> decode_piece(std::span<const std::uint8_t> payload);

}  // namespace parley::wire
