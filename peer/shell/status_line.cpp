#include "peer/shell/status_line.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "peer/shell/text_format.hpp"

namespace parley::peer {
namespace {

// Fewer columns than this and a name says nothing: drop other parts first.
constexpr std::size_t kMinName = 6;

std::string compose(std::string_view head, const std::vector<std::string>& tail) {
  std::string line = fmt::format("[{}", head);
  for (const auto& part : tail) line += " " + part;
  return line + "]";
}

// Percentage, total rate and ETA of the slowest, in the order they are given up.
std::vector<std::string> tail_parts(const std::vector<DownloadView>& running) {
  std::uint64_t bytes = 0, total = 0;
  double rate = 0;
  double slowest = 0;    // seconds
  bool stalled = false;  // some download makes no progress: no ETA
  for (const auto& d : running) {
    if (d.total_bytes > 0) {
      bytes += std::min(d.bytes, d.total_bytes);
      total += d.total_bytes;
    }
    rate += std::max(d.rate, 0.0);
    const bool left = d.total_bytes == 0 || d.bytes < d.total_bytes;
    if (!left || stalled) continue;
    if (d.rate <= 0 || d.total_bytes == 0)
      stalled = true;
    else
      slowest = std::max(slowest, static_cast<double>(d.total_bytes - d.bytes) / d.rate);
  }
  std::vector<std::string> parts;
  if (total > 0) parts.push_back(fmt::format("{}%", bytes * 100 / total));
  parts.push_back(text::human_bytes(rate) + "/s");
  if (!stalled && slowest > 0) parts.push_back("ETA " + text::human_duration(slowest));
  return parts;
}

}  // namespace

std::string status_line(const std::vector<DownloadView>& running, std::size_t width) {
  if (running.empty() || width == 0) return "";
  const bool single = running.size() == 1;
  const std::string head =
      single ? text::printable(running.front().file, false) : fmt::format("{} downloads", running.size());
  auto tail = tail_parts(running);
  for (;;) {
    const std::string line = compose(head, tail);
    const std::size_t columns = text::display_width(line);
    if (columns <= width) return line;
    const std::size_t rest = columns - text::display_width(head);
    if (single && width >= rest + kMinName) return compose(text::fit_columns(head, width - rest), tail);
    if (tail.empty()) return text::fit_columns(line, width);
    tail.pop_back();
  }
}

}  // namespace parley::peer
