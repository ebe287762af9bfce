#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "peer/options.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley::peer;
using parley::test::TempDir;
using parley::test::write_text;

namespace {

const std::string kFingerprint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Run {
  std::optional<int> exit_code;
  PeerConfig config;
  std::string log_level = "warn";
  std::string out;
  std::string err;
};

Run run(std::vector<std::string> args, const Environment& env = {}) {
  args.insert(args.begin(), "parley-peer");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  Run r;
  std::ostringstream out, err;
  r.exit_code =
      parse_options(static_cast<int>(argv.size()), argv.data(), env, r.config, r.log_level, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A run expected to stop with a usage error that mentions `part`.
void check_usage_error(const std::vector<std::string>& args, const std::string& part,
                       const Environment& env = {}) {
  INFO("args: ", args.empty() ? "" : args.front(), " ...");
  const Run r = run(args, env);
  CHECK(r.exit_code == 2);
  INFO("stderr: ", r.err);
  CHECK(r.err.find(part) != std::string::npos);
}

}  // namespace

TEST_CASE("options: defaults, positionals and --server") {
  const Run plain = run({}, Environment{"/home/a", "", std::nullopt});
  CHECK_FALSE(plain.exit_code.has_value());
  CHECK(plain.config.host == "127.0.0.1");
  CHECK(plain.config.port == "7878");
  CHECK(plain.config.data_dir == "/home/a/.parley");
  CHECK(plain.config.bell);
  CHECK_FALSE(plain.config.password.has_value());

  const Run positional = run({"example.org", "9000"});
  CHECK(positional.config.host == "example.org");
  CHECK(positional.config.port == "9000");

  const Run server = run({"--server", "[::1]:7001", "--user", "bob", "--no-bell", "--json"});
  CHECK_FALSE(server.exit_code.has_value());
  CHECK(server.config.host == "::1");
  CHECK(server.config.port == "7001");
  CHECK(server.config.user == "bob");
  CHECK_FALSE(server.config.bell);
  CHECK(server.config.json);
  // --server wins over the positional form, as before.
  CHECK(run({"a.org", "1", "--server", "b.org:2"}).config.host == "b.org");
  CHECK(run({"--server", "b.org"}).config.port == "7878");

  const Run env_password = run({}, Environment{"", "", "s3cret"});
  CHECK(env_password.config.password == "s3cret");
  CHECK(run({"--upload-limit", "10", "--log-level", "debug"}).config.upload_limit == 10240);
  CHECK(run({"--log-level", "debug"}).log_level == "debug");
}

TEST_CASE("options: ports are checked at parse time") {
  for (std::string bad : {"0", "65536", "-1", "80x", "", "99999999999"}) {
    INFO("port: ", bad);
    check_usage_error({"127.0.0.1", bad}, "server_port: '" + bad + "' is not a port (1-65535)");
    check_usage_error({"--server", "127.0.0.1:" + bad}, "'" + bad + "' is not a port (1-65535)");
  }
  check_usage_error({"--p2p-port", "65536"},
                    "--p2p-port: '65536' is not a port (1-65535, or 0 for any free port)");
  check_usage_error({"--p2p-port", "x"}, "--p2p-port");
  CHECK(run({"--p2p-port", "0"}).config.p2p_port == 0);  // any free port
  CHECK(run({"--p2p-port", "65535"}).config.p2p_port == 65535);
  CHECK(run({"localhost", "1"}).config.port == "1");
  CHECK(run({"--server", "h:65535"}).config.port == "65535");
}

TEST_CASE("options: --server forms") {
  check_usage_error({"--server", ":7878"}, "has no host");
  check_usage_error({"--server", "[::1"}, "'[::1' has '[' without ']'");
  check_usage_error({"--server", "[::1]x"}, "expected [ADDRESS]:PORT");
  check_usage_error({"--server", "::1:7878"}, "write an IPv6 address in brackets");
  CHECK(run({"--server", "[::1]"}).config.host == "::1");
}

TEST_CASE("options: --server-fingerprint is 64 hex digits, normalised") {
  CHECK(run({"--server-fingerprint", kFingerprint}).config.server_fingerprint == kFingerprint);
  std::string with_colons;
  for (std::size_t i = 0; i < kFingerprint.size(); i += 2) {
    if (i) with_colons += ':';
    with_colons += kFingerprint.substr(i, 2);
  }
  std::string upper = with_colons;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(run({"--server-fingerprint", upper}).config.server_fingerprint == kFingerprint);

  for (std::string bad : {std::string("abc"), kFingerprint.substr(1), kFingerprint + "00",
                          "g" + kFingerprint.substr(1), std::string()}) {
    INFO("fingerprint: ", bad);
    check_usage_error({"--server-fingerprint", bad}, "is not a SHA-256 fingerprint (64 hex digits");
  }
}

TEST_CASE("options: --help and unknown flags") {
  const Run help = run({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--no-bell") != std::string::npos);
  CHECK(help.out.find("--config") != std::string::npos);
  check_usage_error({"--nosuch"}, "--nosuch");
  check_usage_error({"--upload-limit", "lots"}, "--upload-limit");
}

TEST_CASE("options: password file") {
  TempDir dir;
  write_text(dir / "pw", "hunter2\r\nignored\n");
  CHECK(run({"--password-file", (dir / "pw").string()}).config.password == "hunter2");
  const Run missing = run({"--password-file", (dir / "nope").string()});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("cannot read a password from") != std::string::npos);
}

TEST_CASE("options: the settings file, overridden by flags") {
  TempDir dir;
  const Environment env{(dir / "home").string(), (dir / "xdg").string(), std::nullopt};
  std::filesystem::create_directories(dir / "xdg" / "parley");
  write_text(dir / "xdg" / "parley" / "config",
             "# defaults\n"
             "server = chat.example.org:9000\n"
             "user = alice\n"
             "download-dir = /tmp/my downloads\n"
             "p2p-port = 4000\n"
             "json = yes\n"
             "no-bell = 1\n"
             "server-fingerprint = " +
                 kFingerprint + "\n");
  const Run from_file = run({}, env);
  CHECK_FALSE(from_file.exit_code.has_value());
  CHECK(from_file.config.host == "chat.example.org");
  CHECK(from_file.config.port == "9000");
  CHECK(from_file.config.user == "alice");
  CHECK(from_file.config.download_dir == "/tmp/my downloads");
  CHECK(from_file.config.p2p_port == 4000);
  CHECK(from_file.config.json);
  CHECK_FALSE(from_file.config.bell);
  CHECK(from_file.config.server_fingerprint == kFingerprint);

  const Run flags = run({"--user", "bob", "--server", "other.org:1234", "--p2p-port", "0"}, env);
  CHECK(flags.config.user == "bob");
  CHECK(flags.config.host == "other.org");
  CHECK(flags.config.port == "1234");
  CHECK(flags.config.p2p_port == 0);
  CHECK(flags.config.download_dir == "/tmp/my downloads");  // not given: from the file

  // The positional host overrides the file's server too.
  const Run positional = run({"localhost", "7000"}, env);
  CHECK(positional.config.host == "localhost");
  CHECK(positional.config.port == "7000");

  // --config names another file; the default one is then not read.
  write_text(dir / "other.conf", "user = carol\n");
  const Run other = run({"--config", (dir / "other.conf").string()}, env);
  CHECK(other.config.user == "carol");
  CHECK(other.config.host == "127.0.0.1");

  // No file at the default place is fine; a named one that is missing is not.
  CHECK_FALSE(run({}, Environment{(dir / "nohome").string(), "", std::nullopt}).exit_code.has_value());
  check_usage_error({"--config", (dir / "missing.conf").string()}, "cannot read the settings file");
}

TEST_CASE("options: settings file errors give the file and line") {
  TempDir dir;
  const std::string file = (dir / "c").string();
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"user = a\nnosuch = 1\n", file + ":2: unknown key 'nosuch'"},
      {"help = true\n", file + ":1: unknown key 'help'"},
      {"config = /x\n", file + ":1: unknown key 'config'"},
      {"server_host = x\n", file + ":1: unknown key 'server_host'"},
      {"\n\np2p-port = 70000\n", file + ":3: --p2p-port: '70000' is not a port"},
      {"server = h:0\n", file + ":1: --server: '0' is not a port (1-65535)"},
      {"server-fingerprint = abc\n", file + ":1: --server-fingerprint: 'abc' is not a SHA-256 fingerprint"},
      {"json = maybe\n", file + ":1: json takes true or false, not 'maybe'"},
      {"upload-limit = lots\n", file + ":1: --upload-limit: 'lots' is not a whole number of KiB/s"},
      {"user alice\n", file + ":1: expected 'key = value'"},
      {"--user = alice\n", file + ":1: write the key without dashes ('user')"},
  };
  for (const auto& c : cases) {
    INFO("text: ", c.text);
    write_text(dir / "c", c.text);
    check_usage_error({"--config", file}, c.error);
  }
  // A bad value in the file is no error when the command line replaces it.
  write_text(dir / "c", "p2p-port = 70000\n");
  CHECK_FALSE(run({"--config", file, "--p2p-port", "5"}).exit_code.has_value());
}
