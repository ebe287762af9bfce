// Reads a piece from a shared file straight into the frame that carries it (header, then
// the bytes, as make_frame would encode PieceData): the holder never copies a piece.
// Blocking file I/O: call from a disk thread, never the event loop.
#pragma once

#include <cstdint>
#include <filesystem>

#include "shared/wire/codec.hpp"

namespace parley::peer {

// Throws std::runtime_error if the file cannot be opened or is shorter than
// offset + length.
wire::SharedFrame read_piece_frame(const std::filesystem::path& path, std::uint64_t offset, std::uint32_t id,
                                   std::uint32_t length);

}  // namespace parley::peer
