#include "tests/support/process.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace parley::test {

std::string binary(const char* env_name) {
  const char* path = std::getenv(env_name);
  if (!path) throw std::runtime_error(std::string(env_name) + " is not set: run the tests through meson");
  return path;
}

Process::Process(const std::string& binary, const std::vector<std::string>& args,
                 const std::filesystem::path& stderr_log, const std::map<std::string, std::string>& env)
    : stderr_log_(stderr_log) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  int err = ::open(stderr_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    if (err >= 0) dup2(err, STDERR_FILENO);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  if (err >= 0) ::close(err);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
}

Process::~Process() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(5));
  }
  // Under ASan/UBSan a child reports problems on stderr: they fail the test here.
  std::string log = stderr_text();
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    if (auto at = log.find(marker); at != std::string::npos) {
      std::string report = "sanitizer report from " + stderr_log_.string() + ":\n" + log.substr(at, 2000);
      FAIL_CHECK(report);
    }
  }
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

void Process::write_line(const std::string& line) {
  std::string data = line + "\n";
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(stdin_fd_, p, left);
    if (n <= 0) return;  // the child has gone: the test's next expectation will say so
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void Process::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

std::optional<std::string> Process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || stdout_fd_ < 0) return std::nullopt;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) {
      ::close(stdout_fd_);
      stdout_fd_ = -1;
      return std::nullopt;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<nlohmann::json> Process::wait_json(const std::function<bool(const nlohmann::json&)>& match,
                                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto line = read_line(left);
    if (!line) return std::nullopt;
    seen_.push_back(*line);
    auto json = nlohmann::json::parse(*line, nullptr, false);
    if (!json.is_discarded() && match(json)) return json;
  }
}

std::optional<nlohmann::json> Process::wait_type(const std::string& type, std::chrono::milliseconds timeout) {
  return wait_json([&](const nlohmann::json& j) { return j.value("type", "") == type; }, timeout);
}

std::vector<std::string> Process::drain() {
  std::vector<std::string> lines;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      lines.push_back(buffer_.substr(0, nl));
      seen_.push_back(lines.back());
      buffer_.erase(0, nl + 1);
      continue;
    }
    if (stdout_fd_ < 0) return lines;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 0) <= 0) return lines;
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) {
      ::close(stdout_fd_);
      stdout_fd_ = -1;
      return lines;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

void Process::signal(int sig) {
  if (sig != 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  // A pidfd becomes readable when the process exits: wait for that event, not on a clock.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    pollfd pfd{pidfd, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    ::close(pidfd);
  }
  int status = 0;
  if (::waitpid(pid_, &status, pidfd >= 0 ? WNOHANG : 0) != pid_) return std::nullopt;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return status_;
}

std::string Process::stderr_text() const {
  std::ifstream in(stderr_log_);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace parley::test
