#include "peer/wording.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "shared/util/hex.hpp"

namespace parley::peer::wording {

std::string refusal(const wire::RecipientResult& r) {
  switch (r.status) {
    case wire::Status::unknown_user:
      return fmt::format("unknown user '{}'", r.user);
    case wire::Status::yourself:
      return "you cannot message yourself";
    case wire::Status::blocked:
      return fmt::format("{} has blocked you; message not delivered", r.user);
    case wire::Status::internal:
      return fmt::format("{}: the server could not store the message; try again", r.user);
    case wire::Status::rate_limited:  // in a SendResult: a stored-message quota (limits: a Result)
      return fmt::format(
          "{} is offline with too many messages waiting (for them, or from you); "
          "try again once they have read some",
          r.user);
    default:
      return fmt::format("{}: {}", r.user, wire::to_string(r.status));
  }
}

std::string delivered_to(const std::string& user) { return fmt::format("message delivered to {}", user); }

std::string stored_for(const std::string& user) {
  return fmt::format("{} is offline: message stored for delivery at their next login", user);
}

std::string broadcast_sent(std::uint32_t delivered) {
  return fmt::format("broadcast sent to {} user{}", delivered, delivered == 1 ? "" : "s");
}

std::string private_delivered(const std::string& user) {
  return fmt::format("private message delivered to {}", user);
}

std::string downloading(const DownloadView& d) {
  return fmt::format("downloading {}{} in the background", d.file,
                     d.chunks.empty() ? "" : fmt::format(" (chunks {})", fmt::join(d.chunks, ", ")));
}

std::string idle_warning(std::int64_t seconds) {
  return fmt::format("you will be logged out in {} s; press Enter to stay", seconds);
}

std::string listening(const std::string& p2p, const std::string& fingerprint_hex) {
  return fmt::format("direct links: listening on {} as {}", p2p, fingerprint_display(fingerprint_hex));
}

std::string path_words(const std::string& path) {
  if (path == "reverse") return "connected the other way round: one of you is behind NAT";
  if (path == "relay") return "through the relay, still end-to-end encrypted";
  if (path == "punched") return "through both NATs";
  return "direct";
}

std::string reachability(const wire::Reachability& r, bool advertised) {
  if (r.reachable) return fmt::format("direct links: reachable at {}", r.address);
  if (r.someone_else || advertised)
    return fmt::format("direct links: the advertised address {} is wrong (--advertise): {}", r.address,
                       r.reason);
  return fmt::format(
      "direct links: behind NAT: the server cannot reach {} ({}); links will go the other "
      "way round or through the relay",
      r.address, r.reason);
}

}  // namespace parley::peer::wording
