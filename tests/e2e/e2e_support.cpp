#include "tests/e2e/e2e_support.hpp"

#include <doctest/doctest.h>

#include <regex>

namespace parley::test {

ServerProcess::ServerProcess(const TempDir& dir, std::vector<std::string> extra, std::uint16_t fixed_port) {
  std::vector<std::string> args{"--port",        std::to_string(fixed_port),
                                "--credentials", (dir / "credentials.txt").string(),
                                "--data-dir",    (dir / "server-data").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  process = std::make_unique<Process>(binary("PARLEY_SERVER_BIN"), args, dir / "server.log");
  auto line = process->read_line(std::chrono::seconds(20));
  REQUIRE_MESSAGE(line, "server did not start: " << process->stderr_text());
  std::smatch m;
  REQUIRE(
      std::regex_search(*line, m, std::regex(R"(listening on [0-9.]+:(\d+) fingerprint ([0-9a-f]{64}))")));
  port = static_cast<std::uint16_t>(std::stoi(m[1]));
  fingerprint = m[2];
}

Peer::Peer(const TempDir& dir, std::uint16_t port, const std::string& user, const std::string& password,
           std::vector<std::string> extra) {
  std::vector<std::string> args{"--server",   "127.0.0.1:" + std::to_string(port), "--json", "--user", user,
                                "--data-dir", (dir / ("peer-" + user)).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  process = std::make_unique<Process>(binary("PARLEY_PEER_BIN"), args, dir / ("peer-" + user + ".log"),
                                      std::map<std::string, std::string>{{"PARLEY_PASSWORD", password}});
}

Peer sharer(const TempDir& dir, std::uint16_t port, const std::string& user, std::vector<std::string> extra) {
  std::filesystem::create_directories(dir / ("share-" + user));
  std::vector<std::string> args{"--share-dir", (dir / ("share-" + user)).string(), "--download-dir",
                                (dir / ("dl-" + user)).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return Peer(dir, port, user, user + "123", args);
}

}  // namespace parley::test
