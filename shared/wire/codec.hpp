// Turns messages into frames and payloads back into validated messages. Never throws
// on bad input: a payload that does not decode, or breaks a limit, comes back as an
// error string for the caller to log before closing that one connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "shared/wire/link_messages.hpp"
#include "shared/wire/messages.hpp"

namespace parley::wire {

// An encoded frame shared by every connection it is sent to: serialize once, fan out.
using SharedFrame = std::shared_ptr<const std::vector<std::uint8_t>>;

// Header + payload, ready to write.
std::vector<std::uint8_t> encode_frame(const Message& message);
std::vector<std::uint8_t> encode_frame(const LinkMessage& message);
SharedFrame make_frame(const Message& message);
SharedFrame make_frame(const LinkMessage& message);

template <class M>
struct DecodedAs {
  std::optional<M> message;
  std::string error;  // set when !message
};
using Decoded = DecodedAs<Message>;
using DecodedLink = DecodedAs<LinkMessage>;

// Decodes one frame payload (without its header) and checks every field against the
// limits in limits.hpp.
Decoded decode(std::span<const std::uint8_t> payload);
DecodedLink decode_link(std::span<const std::uint8_t> payload);

// Which alternative of Message a payload holds, read from its first bytes without
// decoding the rest (nullopt if too short to say): lets a reader that ignores most
// traffic skip it cheaply. decode() still has to validate what is kept.
std::optional<std::size_t> peek_index(std::span<const std::uint8_t> payload);

// The limit check alone, for messages built in memory (tests, the server's own output).
// Returns an empty string when `message` is within limits.
std::string validate(const Message& message);
std::string validate(const LinkMessage& message);

}  // namespace parley::wire
