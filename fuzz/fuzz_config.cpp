// The peer's settings file: the line parser (peer/config_file.cpp) and then the whole
// of parse_options() reading it, so the values also go through the options' own checks
// (ports, fingerprints, flags, numbers). Whatever the file holds, the peer either starts
// with settings that pass those checks or stops with exit code 2 and says where.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "fuzz/fuzz_check.hpp"
#include "peer/config_file.hpp"
#include "peer/options.hpp"

using parley::fuzz::check;

namespace {

// The file parse_options() reads, one per process, removed when the process exits.
struct SettingsFile {
  std::string path = "/tmp/parley-fuzz-config-" + std::to_string(::getpid());
  ~SettingsFile() { ::unlink(path.c_str()); }
};

const std::string& settings_path() {
  static const SettingsFile file;
  return file.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = parley::fuzz::as_text(data, size);
  const auto parsed = parley::peer::parse_config_text(text);
  check(parsed.error_line > 0 || parsed.error.empty(), "an error has a line");
  for (const auto& entry : parsed.entries) {
    check(!entry.key.empty() && entry.line > 0, "an entry has a key and a line");
    (void)parley::peer::parse_bool(entry.value);
    // A password file is read until its first newline: /dev/zero or /dev/stdin would
    // make that read endless, which is the file's meaning, not a bug to find here.
    if (entry.key == "password-file") return 0;
  }
  // parse_options() stops at the same line, before applying anything: the unit tests
  // cover that, and skipping it here leaves the fuzzer's time for files that parse.
  if (parsed.error_line > 0) return 0;
  {
    std::ofstream out(settings_path(), std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  const char* argv[] = {"parley-peer", "--config", settings_path().c_str()};
  parley::peer::PeerConfig config;
  std::string log_level;
  std::ostringstream out, err;
  const auto code =
      parley::peer::parse_options(3, argv, parley::peer::Environment{}, config, log_level, out, err);
  check(!code || *code == 2, "a settings file either works or is a usage error");
  if (code) {
    check(!err.str().empty(), "the error is explained");
    return 0;
  }
  check(parley::peer::port_error(config.port, false).empty(), "the server port is a port");
  std::string fingerprint = config.server_fingerprint;
  check(fingerprint.empty() || (parley::peer::normalise_fingerprint(fingerprint).empty() &&
                                fingerprint == config.server_fingerprint),
        "a pinned fingerprint is canonical");
  return 0;
}
