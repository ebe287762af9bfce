// Fixtures for end-to-end tests: the built parley-server and scripted parley-peer
// processes, in a test's temporary directory.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace parley::test {

inline const std::string kAccounts = "alice alice123\nbob bob123\ncarol carol123\ndave dave123\n";

// parley-server on an ephemeral (or given) 127.0.0.1 port, data in <dir>/server-data.
class ServerProcess {
 public:
  ServerProcess(const TempDir& dir, std::vector<std::string> extra = {}, std::uint16_t fixed_port = 0);
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
  std::string fingerprint;
};

// A scripted peer: --json, credentials from the environment, one command per line,
// data in <dir>/peer-<user>.
class Peer {
 public:
  Peer(const TempDir& dir, std::uint16_t port, const std::string& user, const std::string& password,
       std::vector<std::string> extra = {});
  Process& operator*() { return *process; }
  Process* operator->() { return process.get(); }
  std::unique_ptr<Process> process;
};

inline bool is(const nlohmann::json& j, const std::string& type) { return j.value("type", "") == type; }

// A peer with its own share folder (<dir>/share-<user>, made) and download folder
// (<dir>/dl-<user>).
Peer sharer(const TempDir& dir, std::uint16_t port, const std::string& user,
            std::vector<std::string> extra = {});

}  // namespace parley::test
