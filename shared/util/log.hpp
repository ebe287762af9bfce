// Logging set-up shared by both programs: spdlog to stderr, one line per event.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace parley {

// `level` is one of spdlog's names ("info", "debug", "warn", "off", ...).
void init_logging(const std::string& program, const std::string& level);

}  // namespace parley
