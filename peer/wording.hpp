// Sentences every front end says the same way: the terminal prints them, --json puts
// them in an `info` or `error` message, so scripts and people read the same words.
#pragma once

#include <cstdint>
#include <string>

#include "peer/engine/events.hpp"

namespace parley::peer::wording {

// Why the server did not take a message for one recipient.
std::string refusal(const wire::RecipientResult& r);
std::string delivered_to(const std::string& user);
std::string stored_for(const std::string& user);
std::string broadcast_sent(std::uint32_t delivered);
inline constexpr const char* kSomeSkipped = "some online users did not receive your broadcast";
std::string private_delivered(const std::string& user);
// "downloading f (chunks 1, 2) in the background".
std::string downloading(const DownloadView& d);
std::string idle_warning(std::int64_t seconds);
std::string listening(const std::string& p2p, const std::string& fingerprint_hex);
// "they connected back to you" for reverse, "through the relay" for relay, ...
std::string path_words(const std::string& path);
// What the server's reachability check found, for `info`: reachable, behind NAT, or a
// wrong --advertise (`advertised`: the address was given explicitly).
std::string reachability(const wire::Reachability& r, bool advertised);

}  // namespace parley::peer::wording
