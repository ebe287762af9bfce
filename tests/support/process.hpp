// Runs a built binary with pipes on stdin and stdout (stderr goes to a log file), for
// end-to-end tests. Reads are line based with deadlines: a test waits for the line it
// expects, never for a fixed time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace parley::test {

class Process {
 public:
  Process(const std::string& binary, const std::vector<std::string>& args,
          const std::filesystem::path& stderr_log, const std::map<std::string, std::string>& env = {});
  ~Process();  // SIGKILLs it if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void write_line(const std::string& line);
  void close_stdin();
  // The next stdout line, or nullopt at end of output or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Skips lines until one parses as JSON and satisfies `match`; the skipped lines are kept
  // in `seen()`.
  std::optional<nlohmann::json> wait_json(const std::function<bool(const nlohmann::json&)>& match,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(15));
  std::optional<nlohmann::json> wait_type(const std::string& type,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(15));
  const std::vector<std::string>& seen() const { return seen_; }
  // Every whole line the child printed so far and not yet read, without waiting (kept in
  // `seen()` too): a test that drives a child for long must keep its stdout pipe from filling.
  std::vector<std::string> drain();

  void signal(int sig);
  // Exit status (the exit code, or 128+signal), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  pid_t pid() const { return pid_; }
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::vector<std::string> seen_;
  std::filesystem::path stderr_log_;
  std::optional<int> status_;
};

// Path of a built binary, from the environment meson sets for the test.
std::string binary(const char* env_name);

}  // namespace parley::test
