// Logging set-up shared by every program: spdlog to stderr, one line per event, unless
// an interactive console takes the lines to print them above the line being typed.
// Every message is escaped (escape_for_log) before it is formatted: log lines quote
// user names, file names, reasons and hosts that come off the network, and a newline
// in one of them must not be able to start a line that looks like the server's own.
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

// `text` with printable ASCII kept and every other byte escaped: \n, \r, \t, \\ and \xNN
// (bytes of UTF-8 too: a log is read with grep and less, not rendered). The escaped
// text holds no control character, so it cannot break or forge a line, and the
// backslash is escaped too, so no escape in the output can be mistaken for another.
std::string escape_for_log(std::string_view text);

}  // namespace parley
