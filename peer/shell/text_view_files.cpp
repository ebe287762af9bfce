// Files and transfers, as text: registering, searching, downloads and uploads.
#include <fmt/format.h>

#include "peer/shell/text_view_parts.hpp"
#include "peer/wording.hpp"

namespace parley::peer::text {
namespace {

std::string from_sources(const Painter& p, const std::vector<std::string>& sources) {
  return sources.empty() ? "" : ", from " + p.names(sources);
}

// "(chunks 1-3)" for a download of only some chunks, "" for a whole file.
std::string which_chunks(const DownloadView& d) {
  if (d.whole_file && d.chunks.empty()) return "";
  return d.chunks.empty() ? " (some chunks)" : fmt::format(" (chunks {})", chunk_ranges(d.chunks));
}

// Where the bytes are. A download of some chunks keeps them at their place in a partial
// file (hidden, beside where the whole file will go): say so, not just its name.
std::string location(const DownloadView& d) {
  const std::string path = printable(d.path, false);
  if (d.whole_file && d.chunks.empty()) return path;
  return fmt::format("{} (a partial file with those chunks in place; download {} fetches the rest)", path,
                     printable(d.file, false));
}

std::string elapsed_text(double seconds) {
  return seconds < 10 ? fmt::format("{:.1f}s", seconds) : human_duration(seconds);
}

// How long it took and how fast, counting only the chunks fetched now: chunks already on
// disk took no time. Chunks are all the same size but the last, close enough here.
std::string timing(const DownloadView& d) {
  if (d.elapsed_s <= 0) return "";
  const double fetched_bytes = d.done == 0 ? 0.0
                                           : static_cast<double>(d.bytes) * static_cast<double>(d.fetched) /
                                                 static_cast<double>(d.done);
  return fmt::format(" in {} at {}/s", elapsed_text(d.elapsed_s), human_bytes(fetched_bytes / d.elapsed_s));
}

std::string download_row(const Painter& p, const DownloadView& d) {
  const std::string state = printable(d.state, false) + which_chunks(d);
  if (d.state == "running" || d.state == "starting")
    return fmt::format("\n  {}: {}{}", state, progress_bar(d), from_sources(p, d.sources));
  const std::string file = printable(d.file, false);
  if (!d.error.empty())
    return fmt::format("\n  {}: {} {}/{} chunks ({})", state, file, d.done, d.total, printable(d.error));
  return fmt::format("\n  {}: {} {}/{} chunks in {}{}", state, file, d.done, d.total, location(d),
                     from_sources(p, d.sources));
}

}  // namespace

std::string registered(const Painter& p, const ev::Registered& e) {
  return p.line(p.paint(fmt::format("registered {}: {} bytes in {} chunks, sha256 {}",
                                    printable(e.file, false), e.size, e.chunks, e.sha256),
                        kGreen));
}

std::string file_found(const Painter& p, const ev::FileFound& e) {
  return p.line(
      fmt::format("{}: {}", printable(e.file, false),
                  e.users.empty() ? std::string("Not available") : "Available from " + p.names(e.users)));
}

std::string chunks(const Painter& p, const ev::Chunks& e) {
  std::string text;
  for (const auto& [number, users] : e.chunks)
    text += fmt::format("\n  chunk {}: {}", number,
                        users.empty() ? std::string("Not available") : p.names(users));
  return p.line(fmt::format("{}:{}", printable(e.file, false), text));
}

std::string download_started(const Painter& p, const ev::DownloadStarted& e) {
  return p.line(p.paint(printable(wording::downloading(e.download), false), kDim));
}

std::string progress(const Painter& p, const ev::Progress& e) {
  return p.style().interactive ? "" : p.line(progress_bar(e.download));
}

std::string downloaded(const Painter& p, const ev::Downloaded& e) {
  const auto& d = e.download;
  if (d.state == "failed") return p.line(p.paint("error: " + printable(d.error), kRed));
  const std::string what = d.whole_file && d.chunks.empty()
                               ? printable(d.file, false)
                               : fmt::format("{}{}", printable(d.file, false), which_chunks(d));
  return p.line(
      p.paint(fmt::format("downloaded {}: {} chunk{} ({}){} into {}{}{}", what, d.done,
                          d.done == 1 ? "" : "s", human_bytes(static_cast<double>(d.bytes)), timing(d),
                          location(d), d.sources.empty() ? "" : ", from " + plain_list(d.sources),
                          d.resumed == 0 ? "" : fmt::format("; {} were already here", d.resumed)),
              kGreen));
}

std::string downloads(const Painter& p, const ev::Downloads& e) {
  std::string text = e.downloads.empty() ? "no downloads" : "downloads:";
  for (const auto& d : e.downloads) text += download_row(p, d);
  return p.line(text);
}

std::string uploads(const Painter& p, const ev::Uploads& e) {
  std::string text = e.uploads.empty() ? "no uploads" : "uploads:";
  for (const auto& u : e.uploads)
    text += fmt::format("\n  {}: {}, {} at {}/s", p.name(u.user), printable(u.file, false),
                        human_bytes(static_cast<double>(u.bytes)), human_bytes(u.rate));
  return p.line(text);
}

}  // namespace parley::peer::text
