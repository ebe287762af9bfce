#include "shared/util/log.hpp"

#include <spdlog/details/os.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <mutex>

namespace parley {
namespace {

// spdlog's own colours for each level, as its stderr colour sink shows them.
constexpr std::array<std::string_view, 7> kLevelColours = {
    "\033[37m",         // trace: white
    "\033[36m",         // debug: cyan
    "\033[32m",         // info: green
    "\033[33m\033[1m",  // warn: bold yellow
    "\033[31m\033[1m",  // error: bold red
    "\033[1m\033[41m",  // critical: bold on red
    "",                 // off
};
constexpr std::string_view kReset = "\033[m";

bool printable(char c) { return c >= 0x20 && c < 0x7f && c != '\\'; }

bool needs_escape(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return !printable(c); });
}

// stderr, or a writer someone routed the lines to (an interactive console).
class RoutableSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RoutableSink()
      : colour_(spdlog::details::os::in_terminal(stderr) && spdlog::details::os::is_color_terminal()) {}

  void set_writer(LogWriter writer) {
    std::lock_guard lock(mutex_);
    writer_ = std::move(writer);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& original) override {
    // The message text only: the pattern's own parts (time, level, name) are ours.
    spdlog::details::log_msg msg = original;
    const std::string_view payload(original.payload.data(), original.payload.size());
    std::string escaped;
    if (needs_escape(payload)) {
      escaped = escape_for_log(payload);
      msg.payload = escaped;
    }
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    const std::string_view text(formatted.data(), formatted.size());
    std::string line;
    if (colour_ && msg.color_range_end > msg.color_range_start) {
      line.reserve(text.size() + 16);
      line.append(text.substr(0, msg.color_range_start));
      line.append(kLevelColours[static_cast<std::size_t>(msg.level)]);
      line.append(text.substr(msg.color_range_start, msg.color_range_end - msg.color_range_start));
      line.append(kReset);
      line.append(text.substr(msg.color_range_end));
    } else {
      line.assign(text);
    }
    if (writer_) {
      writer_(line);
    } else {
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
  }
  void flush_() override { std::fflush(stderr); }

 private:
  const bool colour_;
  LogWriter writer_;
};

std::shared_ptr<RoutableSink>& sink() {
  static std::shared_ptr<RoutableSink> instance;
  return instance;
}

}  // namespace

void init_logging(const std::string& program, const std::string& level) {
  sink() = std::make_shared<RoutableSink>();
  auto logger = std::make_shared<spdlog::logger>(program, sink());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);  // one line per event, visible at once in logs and tests
  spdlog::set_default_logger(logger);
}

void route_logs(LogWriter writer) {
  if (sink()) sink()->set_writer(std::move(writer));
}

std::string escape_for_log(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (printable(c)) {
      out += c;
      continue;
    }
    out += '\\';
    switch (c) {
      case '\n':
        out += 'n';
        break;
      case '\r':
        out += 'r';
        break;
      case '\t':
        out += 't';
        break;
      case '\\':
        out += '\\';
        break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        out += 'x';
        out += kHex[byte >> 4];
        out += kHex[byte & 0xf];
      }
    }
  }
  return out;
}

}  // namespace parley
