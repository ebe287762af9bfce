#include "bench/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "shared/util/parse.hpp"

namespace parley::bench {
namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) return std::nullopt;
  return text;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// The next whitespace-separated token of `text` from `at`, advancing `at`.
std::string_view next_token(std::string_view text, std::size_t& at) {
  while (at < text.size() && is_blank(text[at])) ++at;
  const std::size_t begin = at;
  while (at < text.size() && !is_blank(text[at])) ++at;
  return text.substr(begin, at - begin);
}

double seconds_of(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

std::optional<CpuTicks> parse_proc_stat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After ')' comes field 3 (state); utime and stime are fields 14 and 15.
  std::size_t at = close + 1;
  std::optional<std::uint64_t> user, system;
  for (int field = 3; field <= 15; ++field) {
    auto token = next_token(text, at);
    if (token.empty()) return std::nullopt;
    if (field == 14) user = parse_decimal<std::uint64_t>(token);
    if (field == 15) system = parse_decimal<std::uint64_t>(token);
  }
  if (!user || !system) return std::nullopt;
  return CpuTicks{*user, *system};
}

std::optional<std::int64_t> parse_vm_rss_kib(std::string_view text) {
  constexpr std::string_view kKey = "VmRSS:";
  std::size_t line = 0;
  while (line < text.size()) {
    std::size_t end = text.find('\n', line);
    if (end == std::string_view::npos) end = text.size();
    std::string_view row = text.substr(line, end - line);
    if (row.starts_with(kKey)) {
      std::size_t at = kKey.size();
      auto value = parse_decimal<std::int64_t>(next_token(row, at));
      if (next_token(row, at) != "kB") return std::nullopt;
      return value;
    }
    line = end + 1;
  }
  return std::nullopt;
}

std::optional<double> process_cpu_seconds(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto ticks = parse_proc_stat(*text);
  const long per_second = ::sysconf(_SC_CLK_TCK);
  if (!ticks || per_second <= 0) return std::nullopt;
  return static_cast<double>(ticks->user + ticks->system) / static_cast<double>(per_second);
}

std::optional<std::int64_t> process_rss_kib(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/status");
  if (!text) return std::nullopt;
  return parse_vm_rss_kib(*text);
}

double self_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
}

}  // namespace parley::bench
