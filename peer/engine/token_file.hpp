// Where the peer keeps its session resumption tokens: <data-dir>/resume-tokens, one
// "account token" line per account (account = folded-user@host:port), mode 0600 like
// the identity key. Whoever can read the data directory can resume the session until
// the token expires or is revoked (logout, a password change, the operator's kick).
#pragma once

#include <filesystem>
#include <string>

namespace parley::peer {

// The token stored for `account`, or "" (no file, no line, unreadable).
std::string load_resume_token(const std::filesystem::path& data_dir, const std::string& account);
// Replaces the line of `account` (an empty token removes it). Written to a temporary
// file and renamed over the old one, so a crash leaves the old file or the new, never
// half of one. Throws std::runtime_error if the file cannot be written.
void save_resume_token(const std::filesystem::path& data_dir, const std::string& account,
                       const std::string& token);

}  // namespace parley::peer
