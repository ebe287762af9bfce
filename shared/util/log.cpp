#include "shared/util/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace parley {

void init_logging(const std::string& program, const std::string& level) {
  auto logger = spdlog::stderr_color_mt(program);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);  // one line per event, visible at once in logs and tests
  spdlog::set_default_logger(logger);
}

}  // namespace parley
