// Inside the text renderer: what its two source files share (text_view.cpp for chat,
// presence and session events; text_view_files.cpp for files and transfers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "peer/shell/text_view.hpp"

namespace parley::peer::text {

inline constexpr std::string_view kRed = "31", kGreen = "32", kYellow = "33", kMagenta = "35", kDim = "2",
                                  kBold = "1";

// A style with the clock resolved, and the pieces every line is made of.
class Painter {
 public:
  explicit Painter(const TextStyle& style);
  const TextStyle& style() const { return style_; }
  std::int64_t now() const { return now_; }
  // "[12:01:05]", or "[2026-11-21 12:01]" for something from another day.
  std::string stamp(std::int64_t unix_ms, bool with_date = false) const;
  // `body` after the current time.
  std::string line(std::string_view body) const;
  std::string paint(std::string_view text, std::string_view color) const;
  // A user name, escaped, in its own colour.
  std::string name(std::string_view user) const;
  std::string names(const std::vector<std::string>& users) const;
  // "you", or our name in /me lines.
  std::string you() const;
  std::string self() const;

 private:
  const TextStyle& style_;
  std::int64_t now_;
};

// `unix_ms` as local time in strftime `format`.
std::string local_time(std::int64_t unix_ms, const char* format);

std::string registered(const Painter& p, const ev::Registered& e);
std::string file_found(const Painter& p, const ev::FileFound& e);
std::string chunks(const Painter& p, const ev::Chunks& e);
std::string download_started(const Painter& p, const ev::DownloadStarted& e);
std::string progress(const Painter& p, const ev::Progress& e);
std::string downloaded(const Painter& p, const ev::Downloaded& e);
std::string downloads(const Painter& p, const ev::Downloads& e);
std::string uploads(const Painter& p, const ev::Uploads& e);

}  // namespace parley::peer::text
