#include "shared/wire/piece_frame.hpp"

#include <fmt/format.h>

#include <variant>

#include "shared/util/variant_index.hpp"
#include "shared/wire/limits.hpp"

namespace parley::wire {
namespace {

// Where PieceData sits in LinkMessage: cereal writes it as the variant's 32-bit index.
constexpr auto kPieceIndex = static_cast<std::uint32_t>(variant_index<PieceData, LinkMessage>());

constexpr std::size_t kPayloadHeader = kPieceHeader - kFrameHeader;

void put_le(std::uint8_t* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

std::uint64_t get_le(const std::uint8_t* in, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value |= std::uint64_t{in[i]} << (8 * i);
  return value;
}

}  // namespace

void put_piece_header(std::span<std::uint8_t, kPieceHeader> out, std::uint32_t id, std::uint32_t length) {
  const std::uint64_t payload = kPayloadHeader + std::uint64_t{length};
  for (std::size_t i = 0; i < kFrameHeader; ++i)
    out[i] = static_cast<std::uint8_t>(payload >> (8 * (kFrameHeader - 1 - i)));  // big-endian
  std::uint8_t* p = out.data() + kFrameHeader;
  p[0] = 1;  // little-endian portable binary
  put_le(p + 1, kPieceIndex, 4);
  put_le(p + 5, id, 4);
  put_le(p + 9, length, 8);
}

bool is_piece(std::span<const std::uint8_t> payload) {
  return payload.size() >= 5 && payload[0] == 1 && get_le(payload.data() + 1, 4) == kPieceIndex;
}

DecodedAs<PieceView> decode_piece(std::span<const std::uint8_t> payload) {
  DecodedAs<PieceView> result;
  if (!is_piece(payload)) {
    result.error = "not a PieceData";
  } else if (payload.size() < kPayloadHeader) {
    result.error = "undecodable payload: payload truncated";
  } else if (const std::uint64_t size = get_le(payload.data() + 9, 8);
             size != payload.size() - kPayloadHeader) {
    result.error =
        size > payload.size() - kPayloadHeader
            ? "undecodable payload: size prefix exceeds the payload"
            : fmt::format("{} trailing bytes after PieceData", payload.size() - kPayloadHeader - size);
  } else if (size > kMaxPiece) {
    result.error = fmt::format("PieceData: data: {} bytes exceeds the {}-byte limit", size, kMaxPiece);
  } else {
    result.message =
        PieceView{static_cast<std::uint32_t>(get_le(payload.data() + 5, 4)), payload.subspan(kPayloadHeader)};
  }
  return result;
}

}  // namespace parley::wire
