// CPU time and memory of a process, from Linux's /proc, for the RESULT line. The parsers
// take the files' text so they can be tested without a process; the readers are thin.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::bench {

struct CpuTicks {
  std::uint64_t user = 0;    // utime, in clock ticks
  std::uint64_t system = 0;  // stime, in clock ticks
};

// Fields 14 and 15 of /proc/PID/stat. The command name (field 2) is in parentheses and
// may itself hold spaces and parentheses, so fields are counted after the last ')'.
std::optional<CpuTicks> parse_proc_stat(std::string_view text);

// The VmRSS line of /proc/PID/status ("VmRSS:\t  1234 kB"), in KiB.
std::optional<std::int64_t> parse_vm_rss_kib(std::string_view text);

// utime + stime of `pid` in seconds; nullopt when the process cannot be read (gone).
std::optional<double> process_cpu_seconds(pid_t pid);
// Resident memory of `pid` in KiB; nullopt when the process cannot be read.
std::optional<std::int64_t> process_rss_kib(pid_t pid);
// User + system CPU time of this process so far, in seconds.
double self_cpu_seconds();

}  // namespace parley::bench
