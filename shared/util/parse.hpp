// Whole-word decimal parsing for flags, commands, files and /proc: std::from_chars alone
// would take "12abc" as 12, "-1" as a negative count and skip nothing, so every caller
// wrote the same three checks around it.
#pragma once

#include <charconv>
#include <concepts>
#include <optional>
#include <string_view>
#include <system_error>

namespace parley {

// `text` as a non-negative decimal number: digits only (no sign, no spaces), all of
// them, and within T's range; nullopt otherwise.
template <std::integral T>
std::optional<T> parse_decimal(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace parley
