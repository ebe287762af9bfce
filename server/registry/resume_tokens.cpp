#include "server/registry/resume_tokens.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "shared/files/hashing.hpp"
#include "shared/util/hex.hpp"

namespace parley::server {
namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kCredentialDigestBytes = 16;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string credential_digest(const Credential& credential) {
  std::string input = credential.kind == Credential::Kind::hashed ? "hashed:" : "plain:";
  input += credential.secret;
  return to_hex(files::sha256(bytes_of(input)).substr(0, kCredentialDigestBytes));
}

const char* ResumeTokens::to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok:
      return "ok";
    case Verdict::unknown:
      return "unknown or revoked";
    case Verdict::expired:
      return "expired";
    case Verdict::other_user:
      return "issued to another user";
    case Verdict::credential_changed:
      return "the password changed since it was issued";
  }
  return "?";
}

op::TokenChanges ResumeTokens::restore(std::vector<StoredToken> tokens, std::int64_t now_ms) {
  op::TokenChanges change;
  // Oldest first, so the per-user order (and which one is evicted next) survives a restart.
  std::sort(tokens.begin(), tokens.end(),
            [](const StoredToken& a, const StoredToken& b) { return a.issued_ms < b.issued_ms; });
  for (auto& token : tokens) {
    if (token.expires_ms <= now_ms) {
      change.remove.push_back(token.hash);
      continue;
    }
    add(std::move(token), change);
  }
  change.put.clear();  // restored tokens are already stored
  return change;
}

void ResumeTokens::add(StoredToken token, op::TokenChanges& change) {
  auto& mine = by_user_[token.user];
  mine.push_back(token.hash);
  while (mine.size() > settings_.per_user) {
    const std::string oldest = mine.front();
    mine.erase(mine.begin());
    by_hash_.erase(oldest);
    change.remove.push_back(oldest);
  }
  change.put.push_back(token);
  by_hash_[token.hash] = std::move(token);
}

void ResumeTokens::remove(const std::string& hash, op::TokenChanges& change) {
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return;
  auto user = by_user_.find(it->second.user);
  if (user != by_user_.end()) {
    std::erase(user->second, hash);
    if (user->second.empty()) by_user_.erase(user);
  }
  by_hash_.erase(it);
  change.remove.push_back(hash);
}

ResumeTokens::Issued ResumeTokens::issue(const std::string& user, const std::string& credential,
                                         std::span<const std::uint8_t> secret, std::int64_t now_ms) {
  Issued issued;
  issued.token = to_hex(secret);
  issued.hash = files::sha256(secret);
  add(StoredToken{issued.hash, user, now_ms, now_ms + settings_.lifetime_ms, credential}, issued.change);
  return issued;
}

ResumeTokens::Check ResumeTokens::verify(std::string_view token, std::string_view user,
                                         const std::string* credential, std::int64_t now_ms) {
  Check check;
  auto secret = from_hex(token);
  if (!secret || secret->size() != kSecretBytes || token.find(':') != std::string_view::npos) return check;
  check.hash = files::sha256(*secret);
  // The table is keyed by the digest, so the lookup's timing says nothing about the
  // secret; the stored digest is still compared in constant time.
  auto it = by_hash_.find(check.hash);
  if (it == by_hash_.end() ||
      CRYPTO_memcmp(it->second.hash.data(), check.hash.data(), check.hash.size()) != 0)
    return check;
  const StoredToken& stored = it->second;
  if (stored.user != user) {
    // Somebody else's token was presented: it is no longer a secret, so it goes.
    check.verdict = Verdict::other_user;
  } else if (stored.expires_ms <= now_ms) {
    check.verdict = Verdict::expired;
  } else if (!credential || stored.credential.size() != credential->size() ||
             CRYPTO_memcmp(stored.credential.data(), credential->data(), credential->size()) != 0) {
    check.verdict = Verdict::credential_changed;
  } else {
    check.verdict = Verdict::ok;
    return check;
  }
  remove(check.hash, check.change);
  return check;
}

op::TokenChanges ResumeTokens::revoke(const std::string& hash) {
  op::TokenChanges change;
  remove(hash, change);
  return change;
}

op::TokenChanges ResumeTokens::revoke_user(const std::string& user) {
  op::TokenChanges change;
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return change;
  const std::vector<std::string> hashes = it->second;
  for (const auto& hash : hashes) remove(hash, change);
  return change;
}

op::TokenChanges ResumeTokens::expire(std::int64_t now_ms) {
  std::vector<std::string> dead;
  for (const auto& [hash, token] : by_hash_)
    if (token.expires_ms <= now_ms) dead.push_back(hash);
  op::TokenChanges change;
  for (const auto& hash : dead) remove(hash, change);
  return change;
}

std::size_t ResumeTokens::count_of(const std::string& user) const {
  auto it = by_user_.find(user);
  return it == by_user_.end() ? 0 : it->second.size();
}

}  // namespace parley::server
