// Small pure pieces of text for people, shared by the event renderer and the status
// line: escaping other users' text, sizes, durations, chunk lists, name colours and the
// width a string takes on a terminal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "peer/engine/events.hpp"

namespace parley::peer::text {

// Control characters from other users must not reach the terminal: they could move the
// cursor, rewrite earlier lines or retitle the window. `keep_newlines` lets a message
// span lines; names and status lines must stay on one.
std::string printable(std::string_view text, bool keep_newlines = true);
// "a, b, c", each escaped to stay on one line.
std::string plain_list(const std::vector<std::string>& items);

// "0 B", "1.5 KiB", "256.0 MiB".
std::string human_bytes(double bytes);
// Time left or taken, for a person: "6s", "3m12s", "1h05m".
std::string human_duration(double seconds);
// Chunk numbers as ranges: {1, 2, 3, 7} -> "1-3, 7".
std::string chunk_ranges(std::vector<std::uint32_t> chunks);

// The SGR colour of a user name: a stable hash (FNV-1a) of the name into a palette of
// colours readable on dark and light backgrounds, so a name looks the same everywhere.
std::string_view name_color(std::string_view name);
// `text` in SGR colour `color` ("36", "1;32"), or unchanged when colours are off.
std::string paint(std::string_view text, std::string_view color, bool enabled);

// Columns `text` (UTF-8) takes on a terminal: wide East Asian characters and emoji take
// two, combining marks none, and a byte that is not UTF-8 one (terminals show U+FFFD).
std::size_t display_width(std::string_view text);
// `text` cut to at most `columns` columns, ending in "…" when it was cut; never splits a
// character.
std::string fit_columns(std::string_view text, std::size_t columns);

// "movie.mkv [#######-----] 12/64 48.0 MiB of 256.0 MiB 95.3 MiB/s ETA 3s".
std::string progress_bar(const DownloadView& d, std::size_t width = 20);
// " ETA 3m12s", or "" when it cannot be known (no rate yet, or nothing left).
std::string eta_text(const DownloadView& d);

}  // namespace parley::peer::text
