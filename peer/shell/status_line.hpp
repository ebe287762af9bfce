// The one line that shows every running download at once, in the style of aria2c:
// "[2 downloads 45% 12.3 MiB/s ETA 1m03s]", or the file's name when there is only one.
#pragma once

#include <string>
#include <vector>

#include "peer/engine/events.hpp"

namespace parley::peer {

// Count (or the single file's name), overall progress, total rate and the time left for
// the slowest download, never wider than `width` terminal columns: the file name is
// shortened first, then the ETA, the rate and the percentage are left out. "" when
// nothing runs. A part that cannot be known yet (no size, no rate) is left out.
std::string status_line(const std::vector<DownloadView>& running, std::size_t width);

}  // namespace parley::peer
