// Logging set-up shared by every program: spdlog to stderr, one line per event, unless
// an interactive console takes the lines to print them above the line being typed.
#pragma once

#include <spdlog/spdlog.h>

#include <functional>
#include <string>
#include <string_view>

namespace parley {

// `level` is one of spdlog's names ("info", "debug", "warn", "off", ...).
void init_logging(const std::string& program, const std::string& level);

// Where finished log lines (formatted, coloured for stderr when it is a colour
// terminal, ending in a newline) go instead of stderr. The writer is called from
// whichever thread logs, one line at a time, never twice at once. An empty writer
// sends the lines back to stderr. Only after init_logging().
using LogWriter = std::function<void(std::string_view line)>;
void route_logs(LogWriter writer);

}  // namespace parley
