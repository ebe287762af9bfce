#include "peer/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "peer/config_file.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/parse.hpp"

namespace parley::peer {
namespace {

// A mistake in the settings file, already worded with its file name and line.
struct SettingsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Values that need work after parsing, or that are not PeerConfig fields.
struct Raw {
  std::string server;
  std::string password_file;
  std::uint64_t upload_kib = 0;
  bool no_bell = false;
  std::string config_file;
  std::string web;  // [HOST:]PORT
};

// Validators return the error message, or empty. Their descriptions are left empty: the
// options' type names (PORT, HOST:PORT) say the same in --help.
CLI::Validator port_validator(bool allow_zero) {
  return CLI::Validator([allow_zero](std::string& text) { return port_error(text, allow_zero); }, "");
}

CLI::Validator server_validator() {
  return CLI::Validator(
      [](std::string& text) {
        std::string host, port;
        return split_server(text, host, port);
      },
      "");
}

CLI::Validator kib_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        // At most 15 digits, so the limit in bytes cannot overflow.
        if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 15)
          return {};
        return fmt::format("'{}' is not a whole number of KiB/s (0 to 999999999999999)", text);
      },
      "");
}

void add_web_options(CLI::App& app, PeerConfig& config, Raw& raw) {
  app.add_option("--web", raw.web,
                 "serve the web UI at [HOST:]PORT (host default 127.0.0.1; port 0: any free one)")
      ->check(CLI::Validator(
          [](std::string& text) {
            std::string host, port;
            return split_web(text, host, port);
          },
          ""))
      ->type_name("[HOST:]PORT");
  app.add_flag("--no-shell", config.no_shell,
               "no terminal shell: a background peer driven through --web, logging to stderr, until "
               "SIGTERM or SIGINT");
  app.add_flag("--web-allow-remote", config.web_allow_remote,
               "let --web listen on an address other than loopback (needs --web-password)");
  app.add_option("--web-password", config.web_password,
                 "password the web UI asks for before anything else (required with --web-allow-remote)")
      ->type_name("PASSWORD");
}

void add_options(CLI::App& app, PeerConfig& config, Raw& raw, std::string& log_level) {
  add_web_options(app, config, raw);
  app.add_option("server_host", config.host, "registry server host");
  app.add_option("server_port", config.port, "registry server port")
      ->check(port_validator(false))
      ->type_name("PORT");
  app.add_option("--server", raw.server, "registry server as HOST:PORT")
      ->check(server_validator())
      ->type_name("HOST:PORT");
  app.add_option("--user", config.user, "username")->type_name("NAME");
  app.add_option("--password-file", raw.password_file, "file whose first line is the password")
      ->type_name("FILE");
  app.add_option("--data-dir", config.data_dir, "known servers, history (default ~/.parley)")
      ->type_name("DIR");
  app.add_option("--server-fingerprint", config.server_fingerprint,
                 "expected SHA-256 fingerprint of the server certificate (64 hex digits, ':' allowed)")
      ->transform(CLI::Validator(normalise_fingerprint, ""))
      ->type_name("HEX");
  app.add_option("--p2p-port", config.p2p_port,
                 "port for direct links from other peers (default 0: any free port)")
      ->check(port_validator(true))
      ->type_name("PORT");
  app.add_option("--p2p-bind", config.p2p_bind,
                 "address to listen on for direct links (default: the address used to reach the server)")
      ->type_name("ADDR");
  app.add_option("--advertise", config.advertise,
                 "address other peers should dial for direct links (default: the listening address)")
      ->type_name("HOST");
  app.add_option("--share-dir", config.share_dir, "folder whose files you can register (default: .)")
      ->type_name("DIR");
  app.add_option("--download-dir", config.download_dir, "folder for downloaded files (default: ./downloads)")
      ->type_name("DIR");
  app.add_option("--upload-limit", raw.upload_kib,
                 "KiB/s sent to other peers, all together (default: no limit)")
      ->check(kib_validator())
      ->type_name("KIB");
  app.add_option("--history-days", config.history_days,
                 "days of conversation the peer keeps in <data-dir>/messages.db (default 365; 0: forever)")
      ->check(CLI::Range(0, 36500))
      ->type_name("DAYS");
  app.add_flag("--fallback", config.fallback,
               "a private message the other peer did not acknowledge goes through the server instead");
  app.add_flag("--sign-up", config.sign_up,
               "create the account if the name is free and the server allows sign-up (for scripts; "
               "the interactive shell asks)");
  app.add_flag("--json", config.json, "print one JSON object per line for every event and result");
  app.add_flag("--no-bell", raw.no_bell, "no terminal bell on a private or direct message");
  app.add_option("--log-level", log_level, "diagnostics on stderr: trace, debug, info, warn, error, off")
      ->capture_default_str()
      ->type_name("LEVEL");
  app.add_option("--config", raw.config_file,
                 "settings file (default $XDG_CONFIG_HOME/parley/config or ~/.config/parley/config)")
      ->type_name("FILE");
}

// One setting, unless the command line gave that option (or, for `server`, the
// positional host, which would otherwise be overridden by a file).
void apply_setting(CLI::App& app, const ConfigEntry& entry, const std::string& where) {
  CLI::Option* option = nullptr;
  if (entry.key != "help" && entry.key != "config") option = app.get_option_no_throw("--" + entry.key);
  if (option == nullptr) {
    throw SettingsError(fmt::format(
        "{}: unknown key '{}' (keys are the long options without '--'; see --help)", where, entry.key));
  }
  if (option->count() > 0) return;
  if (entry.key == "server" && app.get_option("server_host")->count() > 0) return;
  std::string value = entry.value;
  if (option->get_expected_min() == 0) {  // a flag
    const auto flag = parse_bool(value);
    if (!flag)
      throw SettingsError(fmt::format("{}: {} takes true or false, not '{}'", where, entry.key, value));
    value = *flag ? "true" : "false";
  }
  try {
    option->add_result(value);
    option->run_callback();
  } catch (const CLI::ParseError& e) {
    throw SettingsError(fmt::format("{}: {}", where, e.what()));
  }
}

// The settings file named by --config, else the default one if it exists.
void apply_settings_file(CLI::App& app, const Raw& raw, const Environment& env) {
  std::filesystem::path path = raw.config_file;
  if (path.empty()) {
    path = default_config_path(env.xdg_config_home, env.home);
    std::error_code ec;
    if (path.empty() || !std::filesystem::exists(path, ec)) return;
  }
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec))
    throw SettingsError(fmt::format("cannot read the settings file {}", path.string()));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw SettingsError(fmt::format("cannot read the settings file {}", path.string()));
  const ConfigText settings = parse_config_text(text);
  if (settings.error_line > 0)
    throw SettingsError(fmt::format("{}:{}: {}", path.string(), settings.error_line, settings.error));
  for (const auto& entry : settings.entries)
    apply_setting(app, entry, fmt::format("{}:{}", path.string(), entry.line));
}

// What the parsed options imply; returns an exit code when the program must stop.
// The web UI's address and what it needs: a background peer has nothing else to drive
// it, and one reachable from other machines must ask for a password.
std::optional<int> finish_web(const Raw& raw, PeerConfig& config, std::ostream& err) {
  if (!raw.web.empty()) split_web(raw.web, config.web_host, config.web_port);
  std::string problem;
  if (config.no_shell && config.web_port.empty())
    problem = "--no-shell needs --web [HOST:]PORT";
  else if (!config.web_port.empty() && !is_loopback_host(config.web_host) && !config.web_allow_remote)
    problem = fmt::format("--web {} is not a loopback address: add --web-allow-remote (and --web-password)",
                          config.web_host);
  else if (config.web_allow_remote && config.web_password.empty())
    problem = "--web-allow-remote needs --web-password (or web-password in the settings file)";
  if (problem.empty()) return std::nullopt;
  err << "parley-peer: " << problem << "\n";
  return 2;
}

std::optional<int> finish(const Raw& raw, const Environment& env, PeerConfig& config, std::ostream& err) {
  if (auto exit_code = finish_web(raw, config, err)) return exit_code;
  config.bell = !raw.no_bell;
  if (!raw.server.empty()) split_server(raw.server, config.host, config.port);
  config.upload_limit = raw.upload_kib * 1024;
  if (!raw.password_file.empty()) {
    std::ifstream in(raw.password_file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      err << "parley-peer: cannot read a password from " << raw.password_file << "\n";
      return 1;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    config.password = line;
  } else if (env.password) {
    config.password = env.password;
  }
  return std::nullopt;
}

}  // namespace

Environment Environment::from_process() {
  Environment env;
  if (const char* home = std::getenv("HOME")) env.home = home;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME")) env.xdg_config_home = xdg;
  if (const char* password = std::getenv("PARLEY_PASSWORD")) env.password = password;
  return env;
}

std::optional<int> parse_options(int argc, const char* const* argv, const Environment& env,
                                 PeerConfig& config, std::string& log_level, std::ostream& out,
                                 std::ostream& err) {
  config.data_dir =
      env.home.empty() ? std::filesystem::path(".parley") : std::filesystem::path(env.home) / ".parley";
  Raw raw;
  CLI::App app{"parley-peer: the Parley chat shell"};
  app.footer(
      "Positional form of the original assignment: parley-peer [server_host] [server_port].\n"
      "Password: --password-file, else $PARLEY_PASSWORD, else a prompt (or, when stdin is not a\n"
      "terminal, the second line of stdin; the first is the username unless --user is given).\n"
      "Settings file: 'key = value' lines, '#' comments; a key is any long option without '--'\n"
      "(server = example.org:7878, user = alice, json = true). Options given here win over it.\n"
      "Exit codes: 0 after logging out, 1 if the peer could not connect or log in at start\n"
      "(a server lost later is retried), 2 for a mistake in the options or the settings file,\n"
      "128+N after signal N.");
  add_options(app, config, raw, log_level);
  try {
    app.parse(argc, argv);
    apply_settings_file(app, raw, env);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "parley-peer: " << e.what() << "\nRun parley-peer --help for the options.\n";
    return 2;
  } catch (const SettingsError& e) {
    err << "parley-peer: " << e.what() << "\n";
    return 2;
  }
  return finish(raw, env, config, err);
}

std::string port_error(std::string_view text, bool allow_zero) {
  const auto value = parse_decimal<unsigned>(text);
  if (value && *value <= 65535 && (*value > 0 || allow_zero)) return {};
  return fmt::format("'{}' is not a port (1-65535{})", text, allow_zero ? ", or 0 for any free port" : "");
}

std::string normalise_fingerprint(std::string& text) {
  const auto bytes = from_hex(text);
  if (!bytes || bytes->size() != 32) {
    return fmt::format(
        "'{}' is not a SHA-256 fingerprint (64 hex digits, ':' allowed, as the server prints it)", text);
  }
  text = to_hex(*bytes);
  return {};
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::string split_web(std::string_view text, std::string& host, std::string& port) {
  const auto bracket = text.rfind(']');
  const auto colon = text.rfind(':');
  std::string_view port_part = text;
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    std::string_view host_part = text.substr(0, colon);
    port_part = text.substr(colon + 1);
    if (host_part.starts_with('[') && host_part.ends_with(']'))
      host_part = host_part.substr(1, host_part.size() - 2);
    if (host_part.empty() || host_part.find_first_of("[]") != std::string_view::npos)
      return fmt::format("'{}': expected [HOST:]PORT", text);
    host = host_part;
  } else if (bracket != std::string_view::npos) {
    return fmt::format("'{}': expected [HOST:]PORT", text);
  }
  if (auto error = port_error(port_part, true); !error.empty()) return error;
  port = port_part;
  return {};
}

std::string split_server(std::string_view server, std::string& host, std::string& port) {
  std::optional<std::string_view> port_part;
  if (server.starts_with('[')) {
    const auto close = server.find(']');
    if (close == std::string_view::npos) return fmt::format("'{}' has '[' without ']'", server);
    const auto after = server.substr(close + 1);
    if (!after.empty() && !after.starts_with(':'))
      return fmt::format("'{}': expected [ADDRESS]:PORT", server);
    host = server.substr(1, close - 1);
    if (!after.empty()) port_part = after.substr(1);
  } else {
    const auto colon = server.rfind(':');
    host = server.substr(0, colon);
    if (colon != std::string_view::npos) port_part = server.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      return fmt::format("'{}': write an IPv6 address in brackets, e.g. [::1]:7878", server);
  }
  if (host.empty()) return fmt::format("'{}' has no host", server);
  if (port_part) {
    if (auto error = port_error(*port_part, false); !error.empty()) return error;
    port = *port_part;
  }
  return {};
}

}  // namespace parley::peer
