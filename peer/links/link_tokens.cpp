#include "peer/links/link_tokens.hpp"

#include <fmt/format.h>

#include "shared/net/tls_context.hpp"

namespace parley::peer {

bool LinkTokens::expect(const std::string& token, const std::string& user, const std::string& fingerprint,
                        std::int64_t now_ms, wire::LinkPurpose purpose, wire::LinkPath path) {
  // One pending dial per user and purpose: a flood of requests costs one entry.
  std::erase_if(expected_, [&](const auto& entry) {
    return entry.second.user == user && entry.second.purpose == purpose;
  });
  if (expected_.size() >= kMaxExpected) return false;
  expected_[token] = Expected{user, fingerprint, now_ms + lifetime_ms_, purpose, path};
  return true;
}

void LinkTokens::forget(const std::string& user) {
  std::erase_if(expected_, [&](const auto& entry) { return entry.second.user == user; });
}

std::string LinkTokens::redeem(const std::string& token, const std::string& user,
                               const std::string& fingerprint, std::int64_t now_ms, wire::LinkPurpose purpose,
                               wire::LinkPath* path) {
  auto it = expected_.find(token);
  if (it == expected_.end()) return "unknown or already used token";
  Expected expected = std::move(it->second);
  expected_.erase(it);
  if (path) *path = expected.path;
  if (expected.expires_ms <= now_ms) return "expired token";
  if (expected.user != user) return fmt::format("token issued for {}, not {}", expected.user, user);
  if (!net::fingerprints_equal(expected.fingerprint, fingerprint))
    return fmt::format("certificate of {} does not match the one the server vouched for", user);
  if (expected.purpose != purpose)
    return fmt::format("token issued for a {} link, not a {} link", wire::to_string(expected.purpose),
                       wire::to_string(purpose));
  return {};
}

void LinkTokens::expire(std::int64_t now_ms) {
  std::erase_if(expected_, [&](const auto& entry) { return entry.second.expires_ms <= now_ms; });
}

}  // namespace parley::peer
