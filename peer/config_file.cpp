#include "peer/config_file.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace parley::peer {
namespace {

constexpr std::string_view kSpace = " \t\r\v\f";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

// The error for one line, or empty; fills `entry` when the line is a setting.
std::string parse_line(std::string_view line, ConfigEntry& entry) {
  const auto equals = line.find('=');
  if (equals == std::string_view::npos) return "expected 'key = value'";
  entry.key = trim(line.substr(0, equals));
  entry.value = trim(line.substr(equals + 1));
  const auto bare = entry.key.find_first_not_of('-');
  if (bare == std::string::npos) return "a key is missing before '='";
  if (bare > 0) return fmt::format("write the key without dashes ('{}')", entry.key.substr(bare));
  return {};
}

}  // namespace

ConfigText parse_config_text(std::string_view text) {
  ConfigText result;
  int number = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = std::min(text.find('\n', start), text.size());
    const auto line = trim(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (line.empty() || line.front() == '#') continue;
    ConfigEntry entry;
    entry.line = number;
    std::string error = parse_line(line, entry);
    if (error.empty()) {
      const auto same = std::find_if(result.entries.begin(), result.entries.end(),
                                     [&](const ConfigEntry& e) { return e.key == entry.key; });
      if (same != result.entries.end())
        error = fmt::format("'{}' is already set on line {}", entry.key, same->line);
    }
    if (!error.empty()) {
      result.error_line = number;
      result.error = std::move(error);
      return result;
    }
    result.entries.push_back(std::move(entry));
  }
  return result;
}

std::optional<bool> parse_bool(std::string_view value) {
  const std::string v = lowered(value);
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return std::nullopt;
}

std::filesystem::path default_config_path(std::string_view xdg_config_home, std::string_view home) {
  const std::filesystem::path xdg(xdg_config_home);
  if (!xdg.empty() && xdg.is_absolute()) return xdg / "parley" / "config";
  if (!home.empty()) return std::filesystem::path(home) / ".config" / "parley" / "config";
  return {};
}

}  // namespace parley::peer
