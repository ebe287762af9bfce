// "/me waves": an action rather than a line of speech. It travels as ordinary text with
// the "/me " prefix (as IRC clients and Matrix's emotes show it), so servers, offline
// storage and older peers need no change; receivers strip the prefix and flag it.
#pragma once

#include <string>
#include <string_view>

namespace parley::peer {

inline constexpr std::string_view kActionPrefix = "/me ";

inline std::string as_action(std::string_view action) { return std::string(kActionPrefix).append(action); }

// True (and the prefix removed) if `text` is an action.
inline bool strip_action(std::string& text) {
  if (!text.starts_with(kActionPrefix) || text.size() == kActionPrefix.size()) return false;
  text.erase(0, kActionPrefix.size());
  return true;
}

}  // namespace parley::peer
