// Reads the accounts file: one `username secret` per line, where secret is a plaintext
// password or a hash from `parley-server hash-password`. Blank lines and lines starting
// with '#' are ignored. Bad lines are reported with their line number and skipped, so
// one typo does not lock everybody out.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth/password.hpp"

namespace parley::server {

struct CredentialsFile {
  std::map<std::string, Credential, std::less<>> accounts;
  std::vector<std::string> problems;  // "credentials.txt:7: ..." one per skipped line
};

CredentialsFile parse_credentials(std::string_view text, std::string_view source_name);

// Throws std::runtime_error when the file cannot be read.
CredentialsFile load_credentials(const std::filesystem::path& path);

}  // namespace parley::server
