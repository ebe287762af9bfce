// End to end: parley-peer's options and settings file, on the built binary. A mistake
// in either must stop the peer with exit code 2 before it connects anywhere.
#include <doctest/doctest.h>

#include <filesystem>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley::test;

namespace {

struct Outcome {
  std::optional<int> exit_code;
  std::string stderr_text;
  std::optional<std::string> first_stdout_line;
};

// Runs parley-peer with `args` and a password, and collects how it ended.
Outcome run_peer(const TempDir& dir, const std::string& name, const std::vector<std::string>& args,
                 std::map<std::string, std::string> env = {}) {
  env.emplace("PARLEY_PASSWORD", "alice123");
  Process peer(binary("PARLEY_PEER_BIN"), args, dir / (name + ".log"), env);
  peer.close_stdin();
  Outcome outcome;
  outcome.exit_code = peer.wait_exit();
  outcome.first_stdout_line = peer.read_line(std::chrono::milliseconds(100));
  outcome.stderr_text = peer.stderr_text();
  return outcome;
}

// Runs parley-peer until it logs in, then logs out; returns the user it logged in as.
std::string login_user(const TempDir& dir, const std::vector<std::string>& args,
                       std::map<std::string, std::string> env, const std::string& password) {
  env.emplace("PARLEY_PASSWORD", password);
  Process peer(binary("PARLEY_PEER_BIN"), args, dir / ("login-" + password + ".log"), env);
  auto login = peer.wait_type("login");
  REQUIRE_MESSAGE(login, peer.stderr_text());
  peer.close_stdin();
  CHECK(peer.wait_exit() == 0);
  return (*login)["user"];
}

}  // namespace

TEST_CASE("e2e options: an invalid fingerprint or port stops the peer before it connects") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  const std::string address = "127.0.0.1:" + std::to_string(server.port);
  const auto data_dir = dir / "peer-data";

  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases{
      {{"--server", address, "--server-fingerprint", "abcd"},
       "--server-fingerprint: 'abcd' is not a SHA-256 fingerprint"},
      {{"--server", address, "--server-fingerprint", server.fingerprint + "0"},
       "is not a SHA-256 fingerprint"},
      {{"--server", "127.0.0.1:70000"}, "--server: '70000' is not a port (1-65535)"},
      {{"127.0.0.1", "0"}, "server_port: '0' is not a port (1-65535)"},
      {{"--server", address, "--p2p-port", "65536"}, "--p2p-port: '65536' is not a port"},
      {{"--server", address, "--nosuch"}, "--nosuch"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    INFO("expected: ", c.error);
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--json", "--user", "alice", "--data-dir", data_dir.string()});
    const Outcome outcome = run_peer(dir, "bad-" + std::to_string(i), args);
    CHECK(outcome.exit_code == 2);
    INFO("stderr: ", outcome.stderr_text);
    CHECK(outcome.stderr_text.find(c.error) != std::string::npos);
    // Nothing on stdout (no login, no connect error), and the server was never reached:
    // a first connection would have pinned its certificate in the data folder.
    CHECK_FALSE(outcome.first_stdout_line.has_value());
    CHECK_FALSE(std::filesystem::exists(data_dir / "known_servers"));
  }

  // The same fingerprint with colons and in upper case is accepted and pinned.
  std::string display;
  for (std::size_t i = 0; i < server.fingerprint.size(); i += 2) {
    if (i) display += ':';
    display += server.fingerprint.substr(i, 2);
  }
  for (auto& ch : display) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  CHECK(login_user(dir,
                   {"--server", address, "--server-fingerprint", display, "--json", "--user", "alice",
                    "--data-dir", data_dir.string()},
                   {}, "alice123") == "alice");
}

TEST_CASE("e2e options: the settings file gives server and user; a flag overrides it") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  std::filesystem::create_directories(dir / "xdg" / "parley");
  write_text(dir / "xdg" / "parley" / "config",
             "# written by the test\n"
             "server = 127.0.0.1:" +
                 std::to_string(server.port) +
                 "\n"
                 "user = alice\n"
                 "json = true\n"
                 "data-dir = " +
                 (dir / "peer-data").string() + "\n");
  const std::map<std::string, std::string> xdg{{"XDG_CONFIG_HOME", (dir / "xdg").string()}};

  // The file says json = true, so the login is a JSON line.
  CHECK(login_user(dir, {}, xdg, "alice123") == "alice");
  CHECK(login_user(dir, {"--user", "bob"}, xdg, "bob123") == "bob");
  // --config names another file instead.
  write_text(dir / "carol.conf", "server = 127.0.0.1:" + std::to_string(server.port) +
                                     "\nuser = carol\njson = yes\ndata-dir = " + (dir / "carol").string() +
                                     "\n");
  CHECK(login_user(dir, {"--config", (dir / "carol.conf").string()}, xdg, "carol123") == "carol");

  // A bad line in the file: exit code 2 with the file and line, before connecting.
  write_text(dir / "xdg" / "parley" / "config",
             "user = alice\nserver = 127.0.0.1:" + std::to_string(server.port) + "\ncolour = on\n");
  const Outcome bad = run_peer(dir, "bad-config", {}, xdg);
  CHECK(bad.exit_code == 2);
  INFO("stderr: ", bad.stderr_text);
  CHECK(bad.stderr_text.find((dir / "xdg" / "parley" / "config").string() + ":3: unknown key 'colour'") !=
        std::string::npos);
  CHECK_FALSE(bad.first_stdout_line.has_value());
}
