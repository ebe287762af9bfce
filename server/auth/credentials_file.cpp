#include "server/auth/credentials_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "shared/wire/limits.hpp"

namespace parley::server {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Splits on runs of whitespace; at most `max_tokens + 1` are collected so a garbage line
// cannot make us build a long list just to reject it.
std::vector<std::string_view> split_tokens(std::string_view line, std::size_t max_tokens) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < line.size() && tokens.size() <= max_tokens) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

}  // namespace

CredentialsFile parse_credentials(std::string_view text, std::string_view source_name) {
  CredentialsFile result;
  std::map<std::string, std::size_t, std::less<>> first_line;
  auto problem = [&](std::size_t line_no, std::string_view what) {
    result.problems.push_back(std::string(source_name) + ":" + std::to_string(line_no) + ": " +
                              std::string(what));
  };

  // Editors on Windows like to start UTF-8 files with a byte-order mark.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());

  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

    const auto tokens = split_tokens(line, 2);
    if (tokens.empty() || tokens.front().starts_with('#')) continue;
    if (tokens.size() != 2) {
      problem(line_no, "expected 'username password'");
      continue;
    }
    const std::string_view username = tokens[0];
    const std::string_view secret = tokens[1];
    // The name is not echoed: it failed validation, so it may hold anything, even a password.
    if (!wire::is_valid_username(username)) {
      problem(line_no, "invalid username (1-32 characters of A-Z a-z 0-9 _ . -)");
      continue;
    }
    if (secret.size() > wire::kMaxPassword) {
      problem(line_no, "password longer than " + std::to_string(wire::kMaxPassword) + " bytes");
      continue;
    }
    std::string error;
    auto credential = classify_secret(secret, &error);
    if (!credential) {
      problem(line_no, error);
      continue;
    }
    if (const auto it = first_line.find(username); it != first_line.end()) {
      problem(line_no, "duplicate username '" + std::string(username) + "' (keeping line " +
                           std::to_string(it->second) + ")");
      continue;
    }
    first_line.emplace(std::string(username), line_no);
    result.accounts.emplace(std::string(username), std::move(*credential));
  }
  return result;
}

CredentialsFile load_credentials(const std::filesystem::path& path) {
  // A directory opens fine as a stream on Linux and reads as empty: no accounts, no error.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw std::runtime_error("credentials file " + path.string() + " is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open credentials file " + path.string() + ": " + std::strerror(errno));
  }
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw std::runtime_error("cannot read credentials file " + path.string());
  return parse_credentials(text, path.string());
}

}  // namespace parley::server
