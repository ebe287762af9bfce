#include <doctest/doctest.h>

#include "peer/shell/status_line.hpp"
#include "peer/shell/text_format.hpp"

using namespace parley::peer;

namespace {

DownloadView running(std::string file, std::uint64_t mib_done, std::uint64_t mib_total, double mib_per_s) {
  DownloadView d;
  d.file = std::move(file);
  d.state = "running";
  d.bytes = mib_done << 20;
  d.total_bytes = mib_total << 20;
  d.rate = mib_per_s * 1024 * 1024;
  return d;
}

const std::string kLong =
    "a_very_long_file_name_that_someone_shared_with_everybody_in_the_whole_chat_2026_final_v2.mkv";

}  // namespace

TEST_CASE("status line: one download shows its name, several their count") {
  CHECK(status_line({}, 80).empty());
  CHECK(status_line({running("movie.mkv", 64, 256, 32)}, 80) == "[movie.mkv 25% 32.0 MiB/s ETA 6s]");
  // 45 of 100 MiB; the slowest needs (50 - 5) / 0.75 = 60 s more.
  CHECK(status_line({running("a", 5, 50, 0.75), running("b", 40, 50, 12)}, 80) ==
        "[2 downloads 45% 12.8 MiB/s ETA 1m00s]");
}

TEST_CASE("status line: what cannot be known yet is left out") {
  CHECK(status_line({running("movie.mkv", 0, 256, 0)}, 80) == "[movie.mkv 0% 0 B/s]");
  DownloadView starting;
  starting.file = "new.iso";
  starting.state = "starting";
  CHECK(status_line({starting}, 80) == "[new.iso 0 B/s]");
  // One stalled download: the ETA of the slowest is unknown.
  CHECK(status_line({running("a", 1, 2, 1), running("b", 1, 2, 0)}, 80) == "[2 downloads 50% 1.0 MiB/s]");
}

TEST_CASE("status line: fitted to 80 and 40 columns, the name shortened first") {
  const auto one = running(kLong, 10, 100, 3);
  const std::string at80 = status_line({one}, 80);
  CHECK(text::display_width(at80) <= 80);
  CHECK(at80.ends_with(" 10% 3.0 MiB/s ETA 30s]"));
  CHECK(at80.find("…") != std::string::npos);
  const std::string at40 = status_line({one}, 40);
  CHECK(text::display_width(at40) <= 40);
  CHECK(at40.starts_with("[a_very"));
  CHECK(at40.ends_with(" 10% 3.0 MiB/s ETA 30s]"));
  // Too narrow for a useful name: the ETA, then the rate go first.
  const std::string at20 = status_line({one}, 20);
  CHECK(text::display_width(at20) <= 20);
  CHECK(at20.find("10%") != std::string::npos);
  for (std::size_t width = 0; width <= 90; ++width) {
    CHECK(text::display_width(status_line({one}, width)) <= width);
    CHECK(text::display_width(status_line({one, running("b", 1, 2, 1)}, width)) <= width);
  }
}

TEST_CASE("status line: columns, not bytes, for wide names") {
  std::string wide;
  for (int i = 0; i < 40; ++i) wide += "\xe6\x97\xa5";  // 日: two columns, three bytes
  const auto one = running(wide, 10, 100, 3);
  for (std::size_t width : {80u, 40u, 41u, 25u}) {
    const std::string line = status_line({one}, width);
    CHECK(text::display_width(line) <= width);
    CHECK(text::display_width(line) >= width - 1);  // a wide character may leave one column free
  }
  CHECK(status_line({running("evil\x1b[2J\n", 1, 2, 1)}, 80).find('\x1b') == std::string::npos);
  CHECK(status_line({running("evil\x1b[2J\n", 1, 2, 1)}, 80).find('\n') == std::string::npos);
}
