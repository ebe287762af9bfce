// The flags of the fair-use limits, connection caps and login throttling, kept apart
// from main.cpp so the defaults are documented next to their flags (and in the README).
#pragma once

#include <CLI/CLI.hpp>

#include "server/server.hpp"

namespace parley::server {

void add_limit_flags(CLI::App& app, ServerConfig& config);

}  // namespace parley::server
