#include <doctest/doctest.h>

#include "peer/shell/text_view.hpp"

using namespace parley;
using namespace parley::peer;

namespace {

TextStyle plain(bool interactive = false) {
  TextStyle style;
  style.interactive = interactive;
  style.clock = [] { return std::int64_t{1795287007123}; };
  return style;
}

std::string body(const Event& e) {
  std::string text = render(e, plain());
  return text.substr(text.find("] ") + 2);
}

DownloadView movie() {
  DownloadView d;
  d.file = "movie.mkv";
  d.state = "finished";
  d.done = 16;
  d.total = 16;
  d.bytes = 64ull << 20;
  d.total_bytes = 64ull << 20;
  d.path = "/dl/movie.mkv";
  d.sources = {"bob"};
  d.fetched = 16;
  d.elapsed_s = 2.0;
  return d;
}

}  // namespace

TEST_CASE("a finished download's last line: time taken and average rate") {
  CHECK(body(ev::Downloaded{movie()}) ==
        "downloaded movie.mkv: 16 chunks (64.0 MiB) in 2.0s at 32.0 MiB/s into /dl/movie.mkv, from bob");
  DownloadView resumed = movie();
  resumed.fetched = 8;  // half was already on disk: it took no time
  resumed.resumed = 8;
  CHECK(body(ev::Downloaded{resumed}).find("in 2.0s at 16.0 MiB/s") != std::string::npos);
  CHECK(body(ev::Downloaded{resumed}).ends_with("; 8 were already here"));
  DownloadView part = movie();
  part.whole_file = false;
  part.chunks = {1, 2, 3};
  part.done = 3;
  part.fetched = 3;
  part.bytes = 12ull << 20;
  part.elapsed_s = 75;
  CHECK(body(ev::Downloaded{part})
            .starts_with("downloaded movie.mkv (chunks 1-3): 3 chunks (12.0 MiB) in 1m15s"));
  DownloadView failed = movie();
  failed.state = "failed";
  failed.error = "nobody has movie.mkv";
  CHECK(body(ev::Downloaded{failed}) == "error: nobody has movie.mkv");
}

TEST_CASE("downloads: a partial download says which chunks and where they are") {
  DownloadView part = movie();
  part.whole_file = false;
  part.chunks = {1, 2, 3};
  part.done = 3;
  part.path = "/dl/.movie.mkv.part";
  DownloadView running = movie();
  running.state = "running";
  running.done = 4;
  running.bytes = 16ull << 20;
  running.rate = 8.0 * 1024 * 1024;
  running.sources = {"bob", "carol"};
  DownloadView failed = movie();
  failed.state = "failed";
  failed.done = 2;
  failed.error = "bob went away";
  CHECK(body(ev::Downloads{{part, running, failed}}) ==
        "downloads:\n"
        "  finished (chunks 1-3): movie.mkv 3/16 chunks in /dl/.movie.mkv.part (a partial file with those "
        "chunks in place; download movie.mkv fetches the rest), from bob\n"
        "  running: movie.mkv [#####---------------] 4/16 16.0 MiB of 64.0 MiB 8.0 MiB/s ETA 6s, from bob, "
        "carol\n"
        "  failed: movie.mkv 2/16 chunks (bob went away)");
  CHECK(body(ev::Downloads{}) == "no downloads");
}

TEST_CASE("uploads: who gets which file, how much and how fast") {
  CHECK(body(ev::Uploads{{{"bob", "movie.mkv", 3ull << 20, 1024.0 * 1024}}}) ==
        "uploads:\n  bob: movie.mkv, 3.0 MiB at 1.0 MiB/s");
  CHECK(body(ev::Uploads{}) == "no uploads");
}

TEST_CASE("progress lines only when there is no status line") {
  DownloadView d = movie();
  d.state = "running";
  CHECK(render(ev::Progress{d}, plain(true)).empty());
  CHECK(render(ev::Progress{d}, plain(false)).find("movie.mkv [") != std::string::npos);
}

TEST_CASE("files: registering and searching") {
  CHECK(body(ev::DownloadStarted{movie()}) == "downloading movie.mkv in the background");
  CHECK(body(ev::Registered{"a.txt", 3, 1000, "ff"}) ==
        "registered a.txt: 1000 bytes in 3 chunks, sha256 ff");
  CHECK(body(ev::FileFound{"a.txt", {}}) == "a.txt: Not available");
  CHECK(body(ev::FileFound{"a.txt", {"bob", "carol"}}) == "a.txt: Available from bob, carol");
  CHECK(body(ev::Chunks{"a.txt", {{1, {"bob"}}, {2, {}}}}) ==
        "a.txt:\n  chunk 1: bob\n  chunk 2: Not available");
  CHECK(body(ev::FileFound{"evil\n\x1b[2J", {}}).find('\x1b') == std::string::npos);
}
