#include "relay/ticket.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <charconv>
#include <vector>

#include "shared/util/hex.hpp"
#include "shared/wire/limits.hpp"

namespace parley::relay {
namespace {

std::string mac_of(std::string_view body, std::string_view secret) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &length);
  return to_hex(std::span<const std::uint8_t>(out, length));
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

}  // namespace

std::string sign_ticket(const Ticket& ticket, std::string_view secret) {
  const std::string body =
      fmt::format("{}:{}:{}:{}", ticket.pair, ticket.side, ticket.expires_ms, ticket.user);
  return body + ":" + mac_of(body, secret);
}

std::optional<Ticket> verify_ticket(std::string_view text, std::string_view secret, std::int64_t now_ms,
                                    std::string* error) {
  auto parts = split(text, ':');
  if (parts.size() != 5) {
    *error = "malformed ticket";
    return std::nullopt;
  }
  const auto body = text.substr(0, text.size() - parts[4].size() - 1);
  const std::string expected = mac_of(body, secret);
  if (parts[4].size() != expected.size() ||
      CRYPTO_memcmp(parts[4].data(), expected.data(), expected.size()) != 0) {
    *error = "the ticket's signature is not the registry's";
    return std::nullopt;
  }
  Ticket ticket{std::string(parts[0]), 0, 0, std::string(parts[3])};
  int side = -1;
  auto [p1, e1] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), side);
  auto [p2, e2] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), ticket.expires_ms);
  if (e1 != std::errc{} || e2 != std::errc{} || (side != 0 && side != 1) || ticket.pair.size() != 32 ||
      !wire::is_valid_username(ticket.user)) {
    *error = "malformed ticket";
    return std::nullopt;
  }
  ticket.side = static_cast<std::uint8_t>(side);
  if (ticket.expires_ms <= now_ms) {
    *error = "the ticket has expired";
    return std::nullopt;
  }
  return ticket;
}

std::string pair_of_token(std::string_view link_token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  const std::string input = fmt::format("parley relay pair:{}", link_token);
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return to_hex(std::span<const std::uint8_t>(digest, 16));
}

}  // namespace parley::relay
