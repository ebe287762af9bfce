// Direct-link protocol decoding (what a peer reads from another peer, before and after
// the hello). The same promises as the registry's: no crash, no unbounded allocation,
// no exception, and what is accepted is within the limits and encodes back to itself.
#include "fuzz/fuzz_check.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"

using parley::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> payload(data, size);
  const auto decoded = parley::wire::decode_link(payload);
  if (!decoded.message) {
    check(!decoded.error.empty(), "a refusal says why");
    return 0;
  }
  check(parley::wire::validate(*decoded.message).empty(), "what decodes is within the limits");
  const auto frame = parley::wire::encode_frame(*decoded.message);
  check(parley::fuzz::same_bytes(std::span(frame).subspan(parley::wire::kFrameHeader), payload),
        "re-encoding gives the same bytes");
  return 0;
}
