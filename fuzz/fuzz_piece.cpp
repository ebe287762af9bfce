// Piece frames: decode_piece() is a zero-copy shortcut for one kind of link message, so
// it must agree with the general decoder on every input: it accepts exactly the
// PieceData payloads decode_link() accepts, with the same id and bytes, and its view
// points into the payload. put_piece_header() must write the accepted header back.
#include <algorithm>

#include "fuzz/fuzz_check.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/piece_frame.hpp"

using parley::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> payload(data, size);
  const auto piece = parley::wire::decode_piece(payload);
  const auto general = parley::wire::decode_link(payload);
  const auto* as_piece = general.message ? std::get_if<parley::wire::PieceData>(&*general.message) : nullptr;
  check(piece.message || !piece.error.empty(), "a refusal says why");
  check(parley::wire::is_piece(payload) || !piece.message, "only a PieceData decodes as a piece");
  check(piece.message.has_value() == (as_piece != nullptr), "decode_piece accepts what decode_link accepts");
  if (!piece.message) return 0;
  const auto& view = *piece.message;
  check(view.id == as_piece->id, "the same id");
  check(parley::fuzz::same_bytes(
            view.data,
            std::span(reinterpret_cast<const std::uint8_t*>(as_piece->data.data()), as_piece->data.size())),
        "the same bytes");
  check(view.data.empty() || (view.data.data() >= data && view.data.data() + view.data.size() == data + size),
        "the view is the payload's tail");
  std::uint8_t header[parley::wire::kPieceHeader];
  parley::wire::put_piece_header(std::span(header), view.id, static_cast<std::uint32_t>(view.data.size()));
  check(std::equal(header + parley::wire::kFrameHeader, header + parley::wire::kPieceHeader, data),
        "put_piece_header writes the header back");
  check(parley::wire::read_be32(header) == size, "and the frame length of the payload");
  return 0;
}
