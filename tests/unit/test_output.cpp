#include <doctest/doctest.h>

#include "peer/shell/output.hpp"

using parley::peer::DownloadView;
using parley::peer::Output;

TEST_CASE("sizes for people") {
  CHECK(Output::human_bytes(0) == "0 B");
  CHECK(Output::human_bytes(1023) == "1023 B");
  CHECK(Output::human_bytes(1536) == "1.5 KiB");
  CHECK(Output::human_bytes(256.0 * 1024 * 1024) == "256.0 MiB");
  CHECK(Output::human_bytes(3.0 * 1024 * 1024 * 1024) == "3.0 GiB");
}

TEST_CASE("the download progress bar: chunks, bytes, rate and time left") {
  DownloadView d;
  d.file = "movie.mkv";
  d.done = 16;
  d.total = 64;
  d.bytes = 64ull << 20;
  d.total_bytes = 256ull << 20;
  d.rate = 32.0 * 1024 * 1024;
  CHECK(Output::progress_bar(d, 8) == "movie.mkv [##------] 16/64 64.0 MiB of 256.0 MiB 32.0 MiB/s ETA 6s");
  d.rate = 1024 * 1024;
  CHECK(Output::progress_bar(d, 8).ends_with("ETA 3m12s"));
  d.rate = 0;  // nothing measured yet: no guess
  CHECK(Output::progress_bar(d, 8).ends_with("0 B/s"));
  d.bytes = d.total_bytes;
  d.done = d.total;
  CHECK(Output::progress_bar(d, 4).find("[####]") != std::string::npos);
  d.file = "evil\x1b[2J";  // another user's file name must not drive the terminal
  CHECK(Output::progress_bar(d, 4).find('\x1b') == std::string::npos);
}
