// The terminal front end's rendering: each engine event as text for people, with
// timestamps and, when the style allows, colours (each user name always in its own).
// Pure apart from the clock, which the style can replace.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "peer/engine/events.hpp"
#include "peer/shell/text_format.hpp"

namespace parley::peer {

struct TextStyle {
  bool color = false;                   // the caller clears it for NO_COLOR or a non-terminal
  bool interactive = false;             // progress goes to the status line, not into the scrollback
  bool bell = false;                    // ring on a private or direct message that arrives live
  std::string self;                     // our user name, for our own /me lines ("you" until known)
  std::function<std::int64_t()> clock;  // unix ms for events without a time; empty: the wall clock
};

// One or more lines (joined by '\n', no newline at the end), or "" for an event the
// terminal shows another way (progress while interactive: see status_line).
std::string render(const Event& event, const TextStyle& style);

}  // namespace parley::peer
