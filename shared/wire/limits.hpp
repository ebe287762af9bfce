// Hard limits of the wire protocol. Everything that arrives is checked against these
// before anything is allocated for it, so a hostile peer cannot make us reserve memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::wire {

inline constexpr std::uint32_t kProtocolVersion = 7;

// Largest frame payload on the registry link. Control messages are small; the cap
// leaves room for a full-length chat message to a full recipient list.
inline constexpr std::size_t kMaxFrame = 64 * 1024;

inline constexpr std::size_t kMaxUsername = 32;
inline constexpr std::size_t kMaxPassword = 256;
inline constexpr std::size_t kMaxText = 4096;      // one chat message, in bytes (UTF-8)
inline constexpr std::size_t kMaxRecipients = 32;  // one group message
inline constexpr std::size_t kMaxMessageId = 64;
inline constexpr std::size_t kMaxReason = 512;
inline constexpr std::size_t kMaxUserList = 20000;    // whoelse answers
inline constexpr std::size_t kMaxOfflineBatch = 256;  // offline messages per push
inline constexpr std::size_t kMaxHost = 255;          // a DNS name or an IP literal
inline constexpr std::size_t kMaxFingerprint = 64;    // SHA-256 in hex
inline constexpr std::size_t kMaxToken = 64;
inline constexpr std::size_t kMaxRelayTicket = 256;  // a signed relay ticket (relay/ticket.hpp)
inline constexpr std::size_t kDigest = 32;           // SHA-256, raw
inline constexpr std::size_t kMaxHolders = 100;      // listed per file: enough sources for any download

// Chunks travel on direct links in pieces of at most this size, so a frame never holds
// a whole chunk (chunks may be hundreds of MiB) and memory stays bounded per link.
inline constexpr std::size_t kMaxPiece = 128 * 1024;
// Largest frame payload on a direct link: one piece plus its small header.
inline constexpr std::size_t kMaxLinkFrame = kMaxPiece + 1024;
// Piece requests one peer may have waiting at another: the downloader's window. More
// is abuse (it would make the holder queue unbounded data for a peer that may not read).
inline constexpr std::size_t kMaxPiecesInFlight = 16;

// Usernames: 1-32 of [A-Za-z0-9_.-]. Keeps names printable, unambiguous in
// comma-separated recipient lists, and safe in file names and logs.
constexpr bool is_valid_username(std::string_view name) {
  if (name.empty() || name.size() > kMaxUsername) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Names are unique whatever their case ("Alice" could pass for "alice"): compare this.
inline std::string folded_username(std::string_view name) {
  std::string out(name);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace parley::wire
