// Which dials a peer's direct-link listener should accept: the server announces each
// one (who will dial, the fingerprint of their certificate, a random token); the
// listener redeems the token when the dialer says hello. Pure: no sockets, time passed in.
//
// A token works once, only for the user, certificate and purpose (chat or transfer) it
// was issued for, and only until it expires: a replayed, forged, stolen or stale token
// is refused.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "shared/wire/messages.hpp"

namespace parley::peer {

class LinkTokens {
 public:
  static constexpr std::size_t kMaxExpected = 256;
  explicit LinkTokens(std::int64_t lifetime_ms = 30'000) : lifetime_ms_(lifetime_ms) {}

  // False when too many dials are already expected (a flood of requests): refuse it.
  // A newer token for the same user and purpose replaces the older one.
  bool expect(const std::string& token, const std::string& user, const std::string& fingerprint,
              std::int64_t now_ms, wire::LinkPurpose purpose = wire::LinkPurpose::chat,
              wire::LinkPath path = wire::LinkPath::direct);
  // Forgets every token for `user` (you blocked them).
  void forget(const std::string& user);

  // Consumes `token` whatever the outcome (a failed try burns it, so it cannot be
  // guessed at). Returns an empty string if `user`, presenting a certificate with
  // `fingerprint`, may open a link; else why not.
  // `*path` (if given) is set to the path the token was issued for.
  std::string redeem(const std::string& token, const std::string& user, const std::string& fingerprint,
                     std::int64_t now_ms, wire::LinkPurpose purpose = wire::LinkPurpose::chat,
                     wire::LinkPath* path = nullptr);

  void expire(std::int64_t now_ms);
  std::size_t size() const { return expected_.size(); }

 private:
  struct Expected {
    std::string user;
    std::string fingerprint;
    std::int64_t expires_ms;
    wire::LinkPurpose purpose;
    wire::LinkPath path;
  };
  std::int64_t lifetime_ms_;
  std::unordered_map<std::string, Expected> expected_;
};

}  // namespace parley::peer
