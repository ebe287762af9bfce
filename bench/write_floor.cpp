// parley-write-floor: what one small write(2) to a loopback TCP socket costs the writer
// on this machine, with no TLS and no Parley at all. It opens N socket pairs, forks a
// reader that drains them through epoll (as parley-bench does), and has the writer send
// one message to every socket per round, R rounds a second, like the fanout workload.
// The writer's CPU per write is the floor under Parley's cost per write: on loopback
// the writer also pays for the receive path and for waking the reader.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "shared/util/posix.hpp"

namespace {

struct CpuTime {
  double user = 0;
  double system = 0;
};

CpuTime cpu_of(int who) {
  rusage usage{};
  getrusage(who, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return {seconds(usage.ru_utime), seconds(usage.ru_stime)};
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "parley-write-floor: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// Unpinned (with a warning) where the core does not exist: the figures are then rougher.
void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    std::fprintf(stderr, "parley-write-floor: not pinned to cpu %d: %s\n", cpu, std::strerror(errno));
}

// Connected loopback pairs: writers[i] sends to readers[i].
void open_pairs(int count, std::vector<int>& writers, std::vector<int>& readers) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, SOMAXCONN) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    die("cannot listen on 127.0.0.1");
  for (int i = 0; i < count; ++i) {
    int writer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (writer < 0 || connect(writer, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      die("cannot connect");
    int reader = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (reader < 0) die("cannot accept");
    int one = 1;
    setsockopt(writer, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as Parley's sockets
    writers.push_back(writer);
    readers.push_back(reader);
  }
  close(listener);
}

// Reads until `expected` bytes have arrived (its CPU reaches the parent through wait).
[[noreturn]] void run_reader(const std::vector<int>& readers, long long expected) {
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : readers) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLET;
    event.data.fd = fd;
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) die("epoll_ctl");
  }
  std::vector<char> buffer(64 * 1024);
  std::array<epoll_event, 128> events;
  for (long long received = 0; received < expected;) {
    int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 10'000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) die("epoll_wait");
    if (ready == 0) {
      std::fprintf(stderr, "parley-write-floor: the reader waited 10 s for data\n");
      std::_Exit(1);
    }
    for (int i = 0; i < ready; ++i) {
      ssize_t n;
      while ((n = read(events[i].data.fd, buffer.data(), buffer.size())) > 0) received += n;
      if (n == 0) {  // the writer is gone before sending everything
        std::fprintf(stderr, "parley-write-floor: a writer closed early\n");
        std::_Exit(1);
      }
    }
  }
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  int sockets = 1000;
  int size = 300;
  double rate = 200;
  double seconds = 5;
  int writer_cpu = 0;
  int reader_cpu = 1;
  CLI::App app{
      "parley-write-floor: CPU per small write(2) to loopback TCP sockets drained by an epoll reader in "
      "another process; plaintext, no Parley. Prints one RESULT line."};
  app.add_option("--sockets", sockets, "socket pairs")->capture_default_str()->check(CLI::Range(1, 100'000));
  app.add_option("--size", size, "bytes per write")->capture_default_str()->check(CLI::Range(1, 65'536));
  app.add_option("--rate", rate, "rounds per second (one write per socket per round)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 1e5));
  app.add_option("--seconds", seconds, "how long to write")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3600.0));
  app.add_option("--writer-cpu", writer_cpu, "core the writer is pinned to")->capture_default_str();
  app.add_option("--reader-cpu", reader_cpu, "core the reader is pinned to")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  parley::raise_fd_limit();
  std::vector<int> writers, readers;
  open_pairs(sockets, writers, readers);

  const long long rounds = std::max(1LL, std::llround(rate * seconds));
  std::fflush(stdout);
  pid_t reader = fork();
  if (reader < 0) die("fork");
  if (reader == 0) {
    // Without the writers' ends, a writer that dies shows here as end of file at once.
    for (int fd : writers) close(fd);
    pin_to(reader_cpu);
    run_reader(readers, rounds * sockets * static_cast<long long>(size));
  }
  for (int fd : readers) close(fd);
  pin_to(writer_cpu);

  const std::vector<char> message(static_cast<std::size_t>(size), 'x');
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const CpuTime before = cpu_of(RUSAGE_SELF);
  const auto start = std::chrono::steady_clock::now();
  for (long long round = 0; round < rounds; ++round) {
    std::this_thread::sleep_until(start +
                                  std::chrono::duration_cast<std::chrono::nanoseconds>(interval * round));
    for (int fd : writers)
      if (write(fd, message.data(), message.size()) != static_cast<ssize_t>(message.size())) die("write");
  }
  const CpuTime after = cpu_of(RUSAGE_SELF);
  int status = 0;
  if (waitpid(reader, &status, 0) != reader || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "parley-write-floor: the reader failed\n");
    return 1;
  }
  const CpuTime reader_used = cpu_of(RUSAGE_CHILDREN);
  const double writes = static_cast<double>(rounds) * sockets;
  const double user = after.user - before.user;
  const double system = after.system - before.system;
  std::printf(
      "RESULT sockets=%d size=%d rate=%g writes=%.0f us_per_write=%.2f kernel_us_per_write=%.2f "
      "reader_us_per_write=%.2f\n",
      sockets, size, rate, writes, (user + system) * 1e6 / writes, system * 1e6 / writes,
      (reader_used.user + reader_used.system) * 1e6 / writes);
  return 0;
}
