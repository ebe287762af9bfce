// The peer's settings file: `key = value` lines, '#' comment lines and blank lines, no
// sections. A key is a long option without its dashes ("server", "download-dir"); the
// caller (options.cpp) checks keys and values against the options themselves.
//
// Why not CLI11's own config support: Debian's CLI11 (2.1.2) reads INI/TOML through
// set_config, but its items carry no line numbers (an unknown key or a bad value cannot
// say where it is), it silently skips lines shorter than three characters, treats a line
// without '=' as a flag set to true, cuts a value at '#' and splits one at ',' or ' '
// into an array (a path with a space becomes two values). This parser is small, pure and
// unit tested; values are taken verbatim after trimming.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::peer {

struct ConfigEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based, for error messages
};

struct ConfigText {
  std::vector<ConfigEntry> entries;  // in file order, each key at most once
  // The first malformed line, if any (then `entries` is incomplete).
  int error_line = 0;
  std::string error;
};

ConfigText parse_config_text(std::string_view text);

// A boolean setting: true/false, yes/no, on/off, 1/0, in any case.
std::optional<bool> parse_bool(std::string_view value);

// $XDG_CONFIG_HOME/parley/config, else $HOME/.config/parley/config; empty when neither
// is usable. (The XDG spec ignores a relative XDG_CONFIG_HOME, and so does this.)
std::filesystem::path default_config_path(std::string_view xdg_config_home, std::string_view home);

}  // namespace parley::peer
