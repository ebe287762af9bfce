// Relay tickets: what the registry gives each peer of a relayed link, and what the relay
// checks before pairing anyone. Signed with a secret the registry and the relay share
// (HMAC-SHA256), so the relay needs no connection to the registry: it learns who may
// pair, with whom, until when, from the ticket alone. Pure: no sockets, time passed in.
//
// Text form: `<pair>:<side>:<expires_ms>:<user>:<mac>`, where `pair` (32 hex digits)
// names the link, `side` is 0 for the requester (the TLS client of the link inside) and
// 1 for the target, and `mac` is 64 hex digits over everything before it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::relay {

struct Ticket {
  std::string pair;  // 32 hex digits, the same for both halves of one link
  std::uint8_t side = 0;
  std::int64_t expires_ms = 0;
  std::string user;
};

std::string sign_ticket(const Ticket& ticket, std::string_view secret);
// The ticket, if its signature is good and it has not expired; else nullopt and why.
std::optional<Ticket> verify_ticket(std::string_view text, std::string_view secret, std::int64_t now_ms,
                                    std::string* error);
// The pair id of a link, derived from its link token (which the relay never sees).
std::string pair_of_token(std::string_view link_token);

}  // namespace parley::relay
