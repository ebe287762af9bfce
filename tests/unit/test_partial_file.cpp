#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "peer/download/partial_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley;
using peer::FileMeta;
using peer::PartialFile;

namespace {

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

FileMeta meta_for(const std::string& name, const std::vector<std::uint8_t>& content, std::uint32_t chunks) {
  auto chunking = files::Chunking::make(content.size(), chunks);
  FileMeta meta{name, content.size(), chunks, files::sha256(content), {}};
  for (std::uint32_t i = 0; i < chunks; ++i) {
    auto r = chunking->range(i);
    meta.chunk_hashes.push_back(files::sha256(std::span(content).subspan(r.offset, r.length)));
  }
  return meta;
}

// Feeds chunk `i` of `content` in pieces of `piece` bytes.
bool feed(PartialFile& file, const std::vector<std::uint8_t>& content, std::uint32_t i,
          std::size_t piece = 4096) {
  auto r = file.chunking().range(i);
  file.begin(i);
  for (std::uint64_t at = 0; at < r.length; at += piece)
    file.append(i, at,
                std::span(content).subspan(r.offset + at, std::min<std::uint64_t>(piece, r.length - at)));
  return file.end(i);
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("partial file: chunks in any order, in pieces, then one atomic rename") {
  test::TempDir dir;
  auto content = random_bytes(300001, 1);
  PartialFile file(dir.path(), meta_for("movie.mkv", content, 7));
  for (std::uint32_t i : {6u, 0u, 3u, 1u, 5u, 2u, 4u}) CHECK(feed(file, content, i, 1000));
  CHECK(file.complete());
  CHECK_FALSE(std::filesystem::exists(dir / "movie.mkv"));  // not before it is checked whole
  auto path = file.finish();
  CHECK(path == dir / "movie.mkv");
  CHECK(read_file(path) == content);
  CHECK_FALSE(std::filesystem::exists(dir / ".movie.mkv.part"));
  CHECK_FALSE(std::filesystem::exists(dir / ".movie.mkv.have"));
}

TEST_CASE("partial file: a chunk with the wrong bytes is refused and can be fetched again") {
  test::TempDir dir;
  auto content = random_bytes(10000, 2);
  PartialFile file(dir.path(), meta_for("f.bin", content, 2));
  auto corrupt = content;
  corrupt[10] ^= 0xff;
  CHECK_FALSE(feed(file, corrupt, 0));
  CHECK_FALSE(file.has(0));
  CHECK(feed(file, content, 0));
  CHECK(file.has(0));
  // A short chunk is not a verified chunk either.
  file.begin(1);
  file.append(1, 0, std::span(content).subspan(5000, 10));
  CHECK_FALSE(file.end(1));
  CHECK_THROWS(file.finish());  // incomplete
}

TEST_CASE("partial file: an interrupted download resumes with what was verified, and only that") {
  test::TempDir dir;
  auto content = random_bytes(40000, 3);
  auto meta = meta_for("f.bin", content, 4);
  {
    PartialFile file(dir.path(), meta);
    CHECK(feed(file, content, 0));
    CHECK(feed(file, content, 2));
    file.begin(3);  // in progress when interrupted: not counted
    file.append(3, 0, std::span(content).subspan(30000, 100));
  }
  {
    PartialFile resumed(dir.path(), meta);
    CHECK(resumed.has(0));
    CHECK_FALSE(resumed.has(1));
    CHECK(resumed.has(2));
    CHECK_FALSE(resumed.has(3));
  }
  // Someone damages a verified chunk on disk: it is no longer trusted.
  {
    std::fstream part(dir / ".f.bin.part", std::ios::in | std::ios::out | std::ios::binary);
    part.seekp(20005);
    part.put('\x00');
    part.put('\x01');
  }
  PartialFile checked(dir.path(), meta);
  CHECK(checked.has(0));
  CHECK_FALSE(checked.has(2));
  // A different file under the same name starts from scratch.
  auto other = random_bytes(40000, 4);
  PartialFile fresh(dir.path(), meta_for("f.bin", other, 4));
  CHECK_FALSE(fresh.has(0));
}

TEST_CASE("partial file: serving verified chunks, and refusing bad input") {
  test::TempDir dir;
  auto content = random_bytes(1000, 5);
  PartialFile file(dir.path(), meta_for("f.bin", content, 3));
  CHECK(feed(file, content, 1));
  std::vector<std::uint8_t> out(1000);
  auto n = file.read(1, 10, out);
  auto r = file.chunking().range(1);
  CHECK(n == r.length - 10);
  CHECK(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n),
                   content.begin() + static_cast<std::ptrdiff_t>(r.offset + 10)));
  CHECK_THROWS(file.read(0, 0, out));  // not verified: never served
  CHECK_THROWS(file.begin(1));         // verified: never written over
  file.begin(0);
  const auto length = file.chunking().range(0).length;
  CHECK_THROWS(file.append(0, 0, std::span(content).subspan(0, length + 1)));  // too long
  CHECK_THROWS(file.append(0, length, std::span(content).subspan(0, 1)));      // past the end
  CHECK_THROWS(file.begin(3));                                                 // no such chunk
  // A source that vanished mid-chunk: what it wrote is forgotten; another source starts over.
  CHECK_THROWS(file.begin(0));  // still in progress
  file.abandon(0);
  CHECK(feed(file, content, 0));
  CHECK_THROWS(PartialFile(dir.path(), meta_for("../escape", content, 1)));
  CHECK_THROWS(PartialFile(dir.path(), meta_for("a/b", content, 1)));
}

TEST_CASE("partial file: pieces out of order are verified from disk, and still only when right") {
  test::TempDir dir;
  auto content = random_bytes(50000, 6);
  PartialFile file(dir.path(), meta_for("f.bin", content, 2));
  const auto r = file.chunking().range(0);
  auto piece = [&](std::uint64_t at, std::uint64_t n) {
    return std::span(content).subspan(r.offset + at, n);
  };
  // Second half first, then the first: the running digest is useless, the bytes on disk are right.
  file.begin(0);
  file.append(0, 10000, piece(10000, r.length - 10000));
  file.append(0, 0, piece(0, 10000));
  CHECK(file.end(0));
  // Out of order with a gap: what is on disk does not match.
  const auto r1 = file.chunking().range(1);
  file.begin(1);
  file.append(1, 100, std::span(content).subspan(r1.offset + 100, r1.length - 100));
  CHECK_FALSE(file.end(1));
  // A piece sent twice, the second time wrong: the last write wins on disk, and is caught.
  auto corrupt = content;
  corrupt[r1.offset + 5] ^= 0x01;
  file.begin(1);
  file.append(1, 0, std::span(content).subspan(r1.offset, r1.length));
  file.append(1, 0, std::span(corrupt).subspan(r1.offset, 100));
  CHECK_FALSE(file.end(1));
  file.begin(1);
  file.append(1, 0, std::span(content).subspan(r1.offset, 100));
  file.append(1, 0, std::span(content).subspan(r1.offset, r1.length));
  CHECK(file.end(1));
  CHECK(read_file(file.finish()) == content);
}

TEST_CASE("partial file: the file is finished from its chunk digests, without reading it again") {
  // The registered whole-file digest names the download (the state file is keyed by it)
  // but is not recomputed: every byte is under a chunk digest from the same registration.
  test::TempDir dir;
  auto content = random_bytes(2000, 7);
  auto meta = meta_for("f.bin", content, 2);
  meta.file_hash = std::string(32, 'x');
  PartialFile file(dir.path(), meta);
  CHECK(feed(file, content, 0));
  CHECK(feed(file, content, 1));
  CHECK(read_file(file.finish()) == content);
}
