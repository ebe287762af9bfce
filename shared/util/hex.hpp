#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

std::string to_hex(std::span<const std::uint8_t> bytes);
// Raw bytes held in a string (digests travel that way on the wire).
inline std::string to_hex(std::string_view raw) {
  return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
}
// Accepts upper or lower case, and ':' separators (as fingerprints are often written).
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);
// "ab:cd:..." in groups of two, for showing a fingerprint to a person.
std::string fingerprint_display(std::string_view hex);
// 16 random bytes from the OS CSPRNG as 32 hex digits: message ids, tokens.
std::string random_id();

}  // namespace parley
