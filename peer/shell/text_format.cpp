#include "peer/shell/text_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>

namespace parley::peer::text {
namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;

// One UTF-8 character starting at `i`: its code point (kInvalid for a malformed
// sequence) and how many bytes it takes (1 for a malformed one, so a bad byte is skipped
// alone).
std::pair<char32_t, std::size_t> decode(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t length = lead < 0x80           ? 1
                       : (lead >> 5) == 0x6  ? 2
                       : (lead >> 4) == 0xE  ? 3
                       : (lead >> 3) == 0x1E ? 4
                                             : 0;
  if (length == 0 || i + length > s.size()) return {kInvalid, 1};
  if (length == 1) return {lead, 1};
  char32_t cp = lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next >> 6) != 0x2) return {kInvalid, 1};
    cp = (cp << 6) | (next & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {kInvalid, 1};
  return {cp, length};
}

struct Range {
  char32_t first, last;
};

// Marks drawn on the character before them, and invisible format characters.
constexpr Range kZeroWidth[] = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},  {0x0610, 0x061A},
                                {0x064B, 0x065F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},  {0x200B, 0x200F},
                                {0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF},  {0xFE00, 0xFE0F},
                                {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF}};
// East Asian wide and fullwidth characters, and emoji.
constexpr Range kWide[] = {{0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
                           {0x2614, 0x2615},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
                           {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},
                           {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
                           {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF},
                           {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};

template <std::size_t N>
bool in(const Range (&ranges)[N], char32_t cp) {
  return std::any_of(std::begin(ranges), std::end(ranges),
                     [cp](const Range& r) { return cp >= r.first && cp <= r.last; });
}

std::size_t width_of(char32_t cp) {
  if (cp == kInvalid) return 1;
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 0;
  if (in(kZeroWidth, cp)) return 0;
  return in(kWide, cp) ? 2 : 1;
}

}  // namespace

std::string printable(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (keep_newlines && (c == '\n' || c == '\t'))
      out.push_back(static_cast<char>(c));
    else if (c < 0x20 || c == 0x7f)
      out.append(fmt::format("\\x{:02x}", c));
    else
      out.push_back(static_cast<char>(c));
  }
  return out;
}

std::string plain_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + printable(item, false);
  return out;
}

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string human_duration(double seconds) {
  const auto whole = static_cast<std::int64_t>(std::max(seconds, 0.0) + 0.5);
  if (whole >= 3600) return fmt::format("{}h{:02}m", whole / 3600, whole % 3600 / 60);
  if (whole >= 60) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}s", whole);
}

std::string chunk_ranges(std::vector<std::uint32_t> chunks) {
  std::sort(chunks.begin(), chunks.end());
  chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  std::string out;
  for (std::size_t i = 0; i < chunks.size();) {
    std::size_t j = i;
    while (j + 1 < chunks.size() && chunks[j + 1] == chunks[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += j == i ? fmt::format("{}", chunks[i]) : fmt::format("{}-{}", chunks[i], chunks[j]);
    i = j + 1;
  }
  return out;
}

std::string_view name_color(std::string_view name) {
  // No red (errors) and no plain blue (unreadable on dark backgrounds).
  static constexpr std::array<std::string_view, 8> kPalette = {"32", "33", "35", "36",
                                                               "92", "93", "95", "96"};
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 16777619u;
  }
  return kPalette[hash % kPalette.size()];
}

std::string paint(std::string_view text, std::string_view color, bool enabled) {
  if (!enabled) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", color, text);
}

std::size_t display_width(std::string_view text) {
  std::size_t columns = 0;
  for (std::size_t i = 0; i < text.size();) {
    auto [cp, length] = decode(text, i);
    columns += width_of(cp);
    i += length;
  }
  return columns;
}

std::string fit_columns(std::string_view text, std::size_t columns) {
  if (display_width(text) <= columns) return std::string(text);
  if (columns == 0) return "";
  std::size_t used = 0, end = 0;
  for (std::size_t i = 0; i < text.size();) {
    auto [cp, length] = decode(text, i);
    const std::size_t w = width_of(cp);
    if (used + w > columns - 1) break;  // one column stays for the ellipsis
    used += w;
    i += length;
    end = i;
  }
  return std::string(text.substr(0, end)) + "…";
}

std::string eta_text(const DownloadView& d) {
  if (d.rate <= 0 || d.bytes >= d.total_bytes) return "";
  return " ETA " + human_duration(static_cast<double>(d.total_bytes - d.bytes) / d.rate);
}

std::string progress_bar(const DownloadView& d, std::size_t width) {
  std::size_t filled = d.total_bytes == 0 ? width
                                          : static_cast<std::size_t>(static_cast<double>(width) *
                                                                     static_cast<double>(d.bytes) /
                                                                     static_cast<double>(d.total_bytes));
  filled = std::min(filled, width);
  return fmt::format("{} [{}{}] {}/{} {} of {} {}/s{}", printable(d.file, false), std::string(filled, '#'),
                     std::string(width - filled, '-'), d.done, d.total,
                     human_bytes(static_cast<double>(d.bytes)),
                     human_bytes(static_cast<double>(d.total_bytes)), human_bytes(d.rate), eta_text(d));
}

}  // namespace parley::peer::text
