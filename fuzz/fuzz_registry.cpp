// Registry protocol decoding (what the server reads from every connection, and the peer
// from the server). decode() must refuse or accept without crashing, allocating more
// than the payload justifies, or leaking an exception; what it accepts must be within
// the limits, and must be exactly the bytes encode_frame() writes for it (one encoding
// per message, so nothing can hide in a second one).
#include "fuzz/fuzz_check.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"

using parley::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> payload(data, size);
  const auto decoded = parley::wire::decode(payload);
  const auto index = parley::wire::peek_index(payload);
  if (!decoded.message) {
    check(!decoded.error.empty(), "a refusal says why");
    return 0;
  }
  check(index == decoded.message->index(), "peek_index agrees with decode");
  check(parley::wire::validate(*decoded.message).empty(), "what decodes is within the limits");
  const auto frame = parley::wire::encode_frame(*decoded.message);
  check(parley::fuzz::same_bytes(std::span(frame).subspan(parley::wire::kFrameHeader), payload),
        "re-encoding gives the same bytes");
  return 0;
}
