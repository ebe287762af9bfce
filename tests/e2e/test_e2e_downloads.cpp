// End to end for downloads: chunks fetched peer to peer from several holders with the
// built binaries, verified, resumed, and with memory that does not grow with the file.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>

#include "shared/files/hashing.hpp"
#include "shared/util/hex.hpp"
#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Deterministic bytes that do not repeat within a chunk (xorshift), written in one go.
std::string make_content(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < size; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out.data() + i, &x, std::min<std::size_t>(8, size - i));
  }
  return out;
}

std::string sha256_hex(const std::string& bytes) {
  auto d =
      parley::files::sha256(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  return parley::to_hex(std::span(reinterpret_cast<const std::uint8_t*>(d.data()), d.size()));
}

void register_file(Peer& peer, const std::string& file, int chunks) {
  peer->write_line("register " + file + " " + std::to_string(chunks));
  auto done = peer->wait_type("registered", 60s);
  INFO("register ", file);
  REQUIRE(done);
}

json wait_downloaded(Peer& peer, std::chrono::milliseconds timeout = 60s) {
  auto done = peer->wait_json([](const json& j) { return is(j, "downloaded") || is(j, "error"); }, timeout);
  REQUIRE(done);
  REQUIRE_MESSAGE(is(*done, "downloaded"), done->dump());
  return *done;
}

// Waits until the server lists `holder` for `chunk` (1-based) of `file`, asking as `asker`:
// an announcement travels on another connection than the question.
// Bounded by time, not by attempts: on a loaded machine the holder may take a while to
// re-hash what it announces.
void await_holder(Peer& asker, const std::string& file, int chunk, const std::string& holder) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    asker->write_line("searchChunk " + file + " " + std::to_string(chunk));
    auto answer = asker->wait_type("chunks");
    REQUIRE(answer);
    for (const auto& u : (*answer)["chunks"][std::to_string(chunk)])
      if (u == holder) return;
  }
  FAIL("the server never listed " << holder << " for chunk " << chunk << " of " << file);
}

// An event the peer printed earlier (while the test waited for another).
std::optional<json> seen_before(Peer& peer, const std::function<bool(const json&)>& match) {
  for (const auto& line : peer->seen()) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && match(j)) return j;
  }
  return std::nullopt;
}

std::uint64_t peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

// A server and three logged-in peers, alice sharing data.bin (`content`) registered in
// `chunks` chunks; `alice_flags` for her peer (an upload limit, say).
struct ThreePeers {
  ThreePeers(std::size_t size, std::uint64_t seed, int chunks, std::vector<std::string> alice_flags = {})
      : server(with_accounts(dir)),
        alice(sharer(dir, server.port, "alice", std::move(alice_flags))),
        bob(sharer(dir, server.port, "bob")),
        carol(sharer(dir, server.port, "carol")),
        content(make_content(size, seed)) {
    write_text(dir / "share-alice" / "data.bin", content);
    for (Peer* p : {&alice, &bob, &carol}) REQUIRE((*p)->wait_type("login"));
    register_file(alice, "data.bin", chunks);
  }
  static const TempDir& with_accounts(const TempDir& d) {
    write_text(d / "credentials.txt", kAccounts);
    return d;
  }
  TempDir dir;
  ServerProcess server;
  Peer alice, bob, carol;
  const std::string content;
};

}  // namespace

TEST_CASE("e2e download: part of a file, then a swarm of two holders, every error, and downloads") {
  ThreePeers t(300000, 1, 4);
  auto& [dir, server, alice, bob, carol, content] = t;

  // B fetches chunks 1 and 2 only: they are verified on disk, in the partial file.
  bob->write_line("download data.bin 1 2");
  auto part = wait_downloaded(bob);
  CHECK(part["file"] == "data.bin");
  CHECK(part["chunks"] == 2);
  CHECK(part["sources"] == json::array({"alice"}));
  CHECK(part["sha256"] == sha256_hex(content));
  const std::string partial = read_text(part["path"].get<std::string>());
  REQUIRE(partial.size() == content.size());
  CHECK(partial.substr(0, 150000) == content.substr(0, 150000));  // chunks 1-2: 75,000 bytes each

  // C downloads the whole file from both: chunks 3-4 exist only at A, so A sends those
  // and B (who has only 1-2) sends at least one of the others.
  await_holder(carol, "data.bin", 2, "bob");
  carol->write_line("download data.bin");
  auto whole = wait_downloaded(carol);
  CHECK(whole["chunks"] == 4);
  CHECK(whole["sources"] == json::array({"alice", "bob"}));
  CHECK(whole["path"] == (dir / "dl-carol" / "data.bin").string());
  CHECK(read_text(dir / "dl-carol" / "data.bin") == content);
  CHECK(whole["sha256"] == sha256_hex(content));
  CHECK_FALSE(std::filesystem::exists(dir / "dl-carol" / ".data.bin.part"));
  auto progress = seen_before(carol, [](const json& j) { return is(j, "progress"); });
  REQUIRE(progress);
  for (const char* field : {"file", "done", "total", "bytes", "rate"})
    CHECK_MESSAGE(progress->contains(field), field);
  CHECK((*progress)["total"] == 4);

  auto error_for = [&](Peer& peer, const std::string& line) {
    peer->write_line(line);
    auto e = peer->wait_type("error");
    REQUIRE_MESSAGE(e, line);
    CHECK((*e)["command"] == "download");
    return (*e)["message"].get<std::string>();
  };
  CHECK(error_for(carol, "download nope.bin") == "no file named 'nope.bin' is registered");
  CHECK(error_for(carol, "download ../share-alice/data.bin").find("not a valid file name") !=
        std::string::npos);
  CHECK(error_for(carol, "download /etc/passwd").find("not a valid file name") != std::string::npos);
  CHECK(error_for(bob, "download data.bin 9") == "chunk 9 is out of range: data.bin has chunks 1 to 4");
  CHECK(error_for(bob, "download data.bin 0").find("out of range") != std::string::npos);
  CHECK(error_for(alice, "download data.bin").find("you already have data.bin") != std::string::npos);
  CHECK(error_for(bob, "download").find("usage: download <file>") != std::string::npos);

  bob->write_line("downloads");
  auto list = bob->wait_type("downloads");
  REQUIRE(list);
  REQUIRE((*list)["downloads"].size() == 1);
  CHECK((*list)["downloads"][0]["file"] == "data.bin");
  CHECK((*list)["downloads"][0]["state"] == "finished");
  CHECK((*list)["downloads"][0]["done"] == 2);

  // Only B is left, with chunks 1-2: the error names what nobody online has.
  alice->close_stdin();
  carol->close_stdin();
  REQUIRE(alice->wait_exit() == 0);
  REQUIRE(carol->wait_exit() == 0);
  Peer dave = sharer(dir, server.port, "dave");
  REQUIRE(dave->wait_type("login"));
  CHECK(error_for(dave, "download data.bin") == "no online user has chunks 3, 4 of data.bin");
  dave->write_line("download data.bin 2");
  CHECK(wait_downloaded(dave)["sources"] == json::array({"bob"}));
}

TEST_CASE("e2e download: a holder sending corrupt bytes is caught, avoided and reported") {
  ThreePeers t(400000, 2, 4);
  auto& [dir, server, alice, bob, carol, content] = t;
  bob->write_line("download data.bin");
  wait_downloaded(bob);
  // A's copy rots on disk (same size); A does not know and keeps serving it.
  std::string rotten = content;
  for (std::size_t i = 0; i < rotten.size(); i += 1000) rotten[i] = static_cast<char>(~rotten[i]);
  write_text(dir / "share-alice" / "data.bin", rotten);

  await_holder(carol, "data.bin", 4, "bob");
  carol->write_line("download data.bin");
  auto done = wait_downloaded(carol);
  CHECK(read_text(dir / "dl-carol" / "data.bin") == content);
  CHECK(done["sources"] == json::array({"bob"}));
  auto report = seen_before(carol, [](const json& j) { return j.value("corrupt", false); });
  REQUIRE(report);  // shown before the download finished
  CHECK((*report)["holder"] == "alice");
  CHECK((*report)["file"] == "data.bin");
}

TEST_CASE("e2e download: a holder killed mid-download; the other holder finishes the file") {
  // A sends slowly (2 MiB/s), so a chunk of 2 MiB from A is always under way when A dies.
  ThreePeers t(8 << 20, 3, 4, {"--upload-limit", "2048"});
  auto& [dir, server, alice, bob, carol, content] = t;
  bob->write_line("download data.bin");
  wait_downloaded(bob);
  await_holder(carol, "data.bin", 1, "bob");

  carol->write_line("download data.bin");
  REQUIRE(carol->wait_type("progress", 60s));  // one chunk verified: the download is under way
  alice->signal(SIGKILL);
  auto done = wait_downloaded(carol);
  CHECK(read_text(dir / "dl-carol" / "data.bin") == content);
  auto sources = done["sources"];
  CHECK(std::find(sources.begin(), sources.end(), "bob") != sources.end());
}

TEST_CASE("e2e download: interrupted, then resumed without fetching verified chunks again") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice = sharer(dir, server.port, "alice", {"--upload-limit", "4096"});
  const std::string content = make_content(8 << 20, 4);
  write_text(dir / "share-alice" / "data.bin", content);
  REQUIRE(alice->wait_type("login"));
  register_file(alice, "data.bin", 8);
  {
    Peer bob = sharer(dir, server.port, "bob");
    REQUIRE(bob->wait_type("login"));
    bob->write_line("download data.bin");
    // The shell stays usable while the download runs in the background.
    bob->write_line("downloads");
    auto list = bob->wait_type("downloads");
    REQUIRE(list);
    REQUIRE((*list)["downloads"].size() == 1);
    const auto state = (*list)["downloads"][0]["state"];
    CHECK((state == "starting" || state == "running"));
    CHECK_FALSE(seen_before(bob, [](const json& j) { return is(j, "downloaded"); }));
    if (!seen_before(bob, [](const json& j) { return is(j, "progress"); }))
      REQUIRE(bob->wait_type("progress", 60s));
    bob->signal(SIGKILL);  // no goodbye, nothing flushed by the program
    bob->wait_exit();
  }
  Peer bob = sharer(dir, server.port, "bob");
  // The server may not have noticed the old session is gone; the peer retries its login.
  REQUIRE(bob->wait_type("login", 60s));
  bob->write_line("download data.bin");
  auto done = wait_downloaded(bob);
  CHECK(read_text(dir / "dl-bob" / "data.bin") == content);
  const int resumed = done["resumed"].get<int>(), fetched = done["fetched"].get<int>();
  CHECK(resumed >= 1);
  CHECK(resumed + fetched == 8);  // nothing verified before was fetched again
}

TEST_CASE("e2e download: a 256 MiB file, with both peers' memory far below its size") {
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed blocks in a quarantine (256 MiB by default) that would hide what is
  // measured; a small one keeps use-after-free detection and leaves the peers' own use.
  const char* inherited = std::getenv("ASAN_OPTIONS");
  const std::string saved = inherited ? inherited : "";
  setenv("ASAN_OPTIONS", (saved + (saved.empty() ? "" : ":") + "quarantine_size_mb=4").c_str(), 1);
  struct Restore {
    std::string value;
    ~Restore() { setenv("ASAN_OPTIONS", value.c_str(), 1); }
  } restore{saved};
#endif
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice = sharer(dir, server.port, "alice"), bob = sharer(dir, server.port, "bob");
  const std::size_t size = 256u << 20;
  {
    const std::string content = make_content(size, 5);
    write_text(dir / "share-alice" / "big.bin", content);
  }
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));
  register_file(alice, "big.bin", 64);
  bob->write_line("download big.bin");
  auto done = wait_downloaded(bob, 300s);
  CHECK(done["chunks"] == 64);
  CHECK(std::filesystem::file_size(dir / "dl-bob" / "big.bin") == size);
  CHECK(read_text(dir / "dl-bob" / "big.bin") == read_text(dir / "share-alice" / "big.bin"));
  const auto alice_kib = peak_rss_kib(alice->pid()), bob_kib = peak_rss_kib(bob->pid());
  MESSAGE("peak RSS: holder " << alice_kib / 1024 << " MiB, downloader " << bob_kib / 1024 << " MiB");
  CHECK(alice_kib > 0);
  // Sanitizer builds shadow every byte and keep their own allocator's free lists: 225 MiB
  // measured here (180 before protocol 6 and the relay; why it grew is not known yet) where
  // the release build stays under 64. Below 248 MiB still proves the 256 MiB file never
  // sits in memory whole.
#if defined(__SANITIZE_ADDRESS__)
  const std::uint64_t limit_kib = 248 * 1024;
#else
  const std::uint64_t limit_kib = 64 * 1024;
#endif
  CHECK(alice_kib < limit_kib);
  CHECK(bob_kib < limit_kib);
}

TEST_CASE("e2e download: after a restart a peer re-announces only what is still there and unchanged") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  const std::string same = make_content(40000, 6), changed = make_content(40000, 7),
                    gone = make_content(40000, 8);
  {
    Peer alice = sharer(dir, server.port, "alice");
    write_text(dir / "share-alice" / "same.bin", same);
    write_text(dir / "share-alice" / "changed.bin", changed);
    write_text(dir / "share-alice" / "gone.bin", gone);
    REQUIRE(alice->wait_type("login"));
    register_file(alice, "same.bin", 4);
    register_file(alice, "changed.bin", 4);
    register_file(alice, "gone.bin", 4);
    alice->close_stdin();
    REQUIRE(alice->wait_exit() == 0);
  }
  // While alice is away: one file loses its third chunk's bytes, one is deleted.
  std::string edited = changed;
  edited[25000] = static_cast<char>(~edited[25000]);  // chunk 3 holds bytes 20,000-29,999
  write_text(dir / "share-alice" / "changed.bin", edited);
  std::filesystem::remove(dir / "share-alice" / "gone.bin");

  Peer alice = sharer(dir, server.port, "alice"), bob = sharer(dir, server.port, "bob");
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));
  await_holder(bob, "same.bin", 4, "alice");
  await_holder(bob, "changed.bin", 4, "alice");
  bob->write_line("searchChunk changed.bin 1 2 3 4");
  auto chunks = bob->wait_type("chunks");
  REQUIRE(chunks);
  CHECK((*chunks)["chunks"]["2"] == json::array({"alice"}));
  CHECK((*chunks)["chunks"]["3"] == json::array());  // changed: no longer offered
  bob->write_line("searchFile gone.bin");
  auto none = bob->wait_type("file");
  REQUIRE(none);
  CHECK((*none)["available"] == false);
  // What is still offered really downloads.
  bob->write_line("download changed.bin 1 2 4");
  CHECK(wait_downloaded(bob)["sources"] == json::array({"alice"}));
  bob->write_line("download same.bin");
  wait_downloaded(bob);
  CHECK(read_text(dir / "dl-bob" / "same.bin") == same);
}

TEST_CASE("e2e download: several downloads from one slow holder at once share its link and window") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  ServerProcess server(dir);
  Peer alice = sharer(dir, server.port, "alice", {"--upload-limit", "4096"}),
       bob = sharer(dir, server.port, "bob");
  std::vector<std::string> contents;
  for (int i = 0; i < 3; ++i) {
    contents.push_back(make_content(2 << 20, 10 + static_cast<std::uint64_t>(i)));
    write_text(dir / "share-alice" / ("f" + std::to_string(i) + ".bin"), contents.back());
  }
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));
  for (int i = 0; i < 3; ++i) register_file(alice, "f" + std::to_string(i) + ".bin", 4);
  // Typed at once: the three dial alice together, and ask for pieces together.
  for (int i = 0; i < 3; ++i) bob->write_line("download f" + std::to_string(i) + ".bin");
  for (int i = 0; i < 3; ++i) {
    auto done = wait_downloaded(bob);
    CHECK(done["sources"] == json::array({"alice"}));
  }
  for (int i = 0; i < 3; ++i)
    CHECK(read_text(dir / "dl-bob" / ("f" + std::to_string(i) + ".bin")) ==
          contents[static_cast<std::size_t>(i)]);
  CHECK_FALSE(seen_before(bob, [](const json& j) { return is(j, "error"); }));
}
