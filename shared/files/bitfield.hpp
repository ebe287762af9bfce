// Which chunks someone holds, as sent on the wire: chunk i is bit (i % 8) of byte i / 8.
#pragma once

#include <cstdint>
#include <string>

namespace parley::files {

inline std::string full_bitfield(std::uint32_t chunks) {
  std::string bits((chunks + 7) / 8, '\0');
  for (std::uint32_t i = 0; i < chunks; ++i) bits[i / 8] = static_cast<char>(bits[i / 8] | (1 << (i % 8)));
  return bits;
}

inline bool has_chunk(const std::string& bits, std::uint32_t chunk) {
  return chunk / 8 < bits.size() && ((static_cast<unsigned char>(bits[chunk / 8]) >> (chunk % 8)) & 1) != 0;
}

inline bool has_all_chunks(const std::string& bits, std::uint32_t chunks) {
  for (std::uint32_t i = 0; i < chunks; ++i)
    if (!has_chunk(bits, i)) return false;
  return true;
}

}  // namespace parley::files
