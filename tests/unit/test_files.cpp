#include <doctest/doctest.h>

#include <fstream>

#include "server/registry/file_index.hpp"
#include "shared/files/bitfield.hpp"
#include "shared/files/chunking.hpp"
#include "shared/files/file_names.hpp"
#include "shared/files/hashing.hpp"
#include "tests/support/temp_dir.hpp"

using namespace parley;

TEST_CASE("chunking: sizes as equal as can be, never an empty chunk, and the limits") {
  auto c = files::Chunking::make(10, 3);
  REQUIRE(c);
  CHECK(c->chunk_size() == 4);
  CHECK(c->range(0).offset == 0);
  CHECK(c->range(0).length == 4);
  CHECK(c->range(1).offset == 4);
  CHECK(c->range(1).length == 3);
  CHECK(c->range(2).offset == 7);
  CHECK(c->range(2).length == 3);
  auto even = files::Chunking::make(12, 4);
  REQUIRE(even);
  CHECK(even->range(3).length == 3);
  // ceil(size / N) everywhere would leave chunk 6 of 10 bytes in 6 chunks empty.
  auto six = files::Chunking::make(10, 6);
  REQUIRE(six);
  CHECK(six->range(5).length == 1);
  // Every byte is in exactly one chunk, and no chunk is empty or differs by more than one.
  for (std::uint64_t size : {1ull, 7ull, 10ull, 1000ull, 1048577ull}) {
    for (std::uint32_t n : {1u, 2u, 3u, 6u, 7u, 999u, 1000u}) {
      auto k = files::Chunking::make(size, n);
      if (!k) continue;
      CAPTURE(size);
      CAPTURE(n);
      std::uint64_t covered = 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        CHECK(k->range(i).offset == covered);
        CHECK(k->range(i).length >= 1);
        CHECK(k->chunk_size() - k->range(i).length <= 1);
        covered += k->range(i).length;
      }
      CHECK(covered == size);
    }
  }
  std::string why;
  CHECK_FALSE(files::Chunking::make(0, 1, &why));
  CHECK(why == "the file is empty");
  CHECK_FALSE(files::Chunking::make(10, 0, &why));
  CHECK(why.find("at least 1") != std::string::npos);
  CHECK_FALSE(files::Chunking::make(10, 11, &why));
  CHECK(why.find("more than the file's 10 bytes") != std::string::npos);
  CHECK_FALSE(files::Chunking::make(1 << 20, files::kMaxChunks + 1, &why));
  CHECK(why.find("maximum of 1024") != std::string::npos);
}

TEST_CASE("file names never leave their folder") {
  for (const char* good : {"a", "movie.mkv", "notes 2026.txt", "x-y_z", "a.b.c"})
    CHECK(files::is_safe_file_name(good));
  for (const char* bad : {"", ".", "..", "../x", "a/../b", "a/b", "/etc/passwd", "a\\b", "..\\x", ".hidden",
                          "-rf", "a..b", "tab\there", "nl\n", "\x7f"})
    CHECK_FALSE(files::is_safe_file_name(bad));
  CHECK_FALSE(files::is_safe_file_name(std::string(256, 'a')));
  // Names are shown and written as JSON: only well-formed UTF-8.
  CHECK(files::is_safe_file_name("r\xc3\xa9sum\xc3\xa9.pdf"));  // résumé.pdf
  CHECK(files::is_safe_file_name("\xf0\x9f\x8e\xb5.mp3"));      // U+1F3B5
  CHECK_FALSE(files::is_safe_file_name("a\xff.bin"));           // not UTF-8 at all
  CHECK_FALSE(files::is_safe_file_name("a\xc3"));               // cut short
  CHECK_FALSE(files::is_safe_file_name("\xc0\xaf"));            // overlong '/'
  CHECK_FALSE(files::is_safe_file_name("\xed\xa0\x80"));        // a surrogate
  CHECK_FALSE(files::is_safe_file_name("\xf4\x90\x80\x80"));    // past U+10FFFF
}

TEST_CASE("digests: per chunk and whole file, in one streaming pass") {
  test::TempDir dir;
  std::string content;
  for (int i = 0; i < 300000; ++i) content.push_back(static_cast<char>(i * 7));
  test::write_text(dir / "f", content);
  auto chunking = files::Chunking::make(content.size(), 3);
  auto digests = files::digest_file(dir / "f", *chunking);
  auto bytes = [&](std::uint64_t offset, std::uint64_t length) {
    return std::span(reinterpret_cast<const std::uint8_t*>(content.data()) + offset, length);
  };
  CHECK(digests.file == files::sha256(bytes(0, content.size())));
  REQUIRE(digests.chunks.size() == 3);
  for (std::uint32_t i = 0; i < 3; ++i)
    CHECK(digests.chunks[i] == files::sha256(bytes(chunking->range(i).offset, chunking->range(i).length)));
  // A file that is not the size it was said to be is an error, not a wrong digest.
  auto wrong = files::Chunking::make(content.size() + 1, 3);
  CHECK_THROWS(files::digest_file(dir / "f", *wrong));
  CHECK_THROWS(files::digest_file(dir / "missing", *chunking));
}

TEST_CASE("bitfields") {
  auto bits = files::full_bitfield(10);
  CHECK(bits.size() == 2);
  for (std::uint32_t i = 0; i < 10; ++i) CHECK(files::has_chunk(bits, i));
  CHECK_FALSE(files::has_chunk(bits, 10));
  CHECK_FALSE(files::has_chunk(bits, 1000));
  CHECK(files::has_chunk("\x04", 2));
  CHECK_FALSE(files::has_chunk("\x04", 1));
}

TEST_CASE("file index: register, holdings, search, restore") {
  server::FileIndex index;
  wire::RegisterFile movie{1,  "movie.mkv",          1000,
                           10, std::string(32, 'h'), std::vector<std::string>(10, std::string(32, 'c'))};
  auto first = index.register_file("alice", movie, 5);
  CHECK(first.status == wire::Status::ok);
  REQUIRE(first.writes.size() == 2);  // the file, and alice holding all of it
  CHECK(std::get<server::op::PutFile>(first.writes[0]).file.owner == "alice");
  auto again = index.register_file("bob", movie, 6);
  CHECK(again.status == wire::Status::already_registered);
  CHECK(again.writes.empty());

  auto everyone = [](const std::string&) { return true; };
  auto info = index.info(3, "movie.mkv", everyone);
  CHECK(info.status == wire::Status::ok);
  CHECK(info.request == 3);
  CHECK(info.chunk_count == 10);
  CHECK(info.chunk_hashes.empty());  // never from memory: the store has them
  REQUIRE(info.holders.size() == 1);
  CHECK(info.holders[0].user == "alice");
  CHECK(std::get<server::op::PutFile>(first.writes[0]).file.chunk_hashes.size() == 10);
  CHECK(index.owned_by("alice").files == 1);
  CHECK(index.owned_by("alice").chunks == 10);
  CHECK(index.owned_by("bob").files == 0);
  CHECK(index.info(3, "nothing", everyone).status == wire::Status::unknown_file);

  // bob announces chunks 1 and 9 (bits past chunk 10 are ignored).
  auto writes = index.set_holding("bob", wire::HaveChunks{"movie.mkv", std::string("\x02\xfe", 2)});
  REQUIRE(writes.size() == 1);
  info = index.info(4, "movie.mkv", everyone);
  REQUIRE(info.holders.size() == 2);
  CHECK(info.holders[1].user == "bob");
  CHECK(files::has_chunk(info.holders[1].chunks, 1));
  CHECK(files::has_chunk(info.holders[1].chunks, 9));
  CHECK_FALSE(files::has_chunk(info.holders[1].chunks, 10));
  CHECK(index.set_holding("bob", wire::HaveChunks{"movie.mkv", std::string("\x02\xfe", 2)})
            .empty());                                                             // no change
  CHECK(index.set_holding("bob", wire::HaveChunks{"movie.mkv", "\x02"}).empty());  // wrong size: ignored
  CHECK(index.set_holding("bob", wire::HaveChunks{"other", "\x01"}).empty());      // unknown file: ignored

  // Offline or hiding holders are not listed.
  auto only_bob = [](const std::string& u) { return u == "bob"; };
  info = index.info(5, "movie.mkv", only_bob);
  REQUIRE(info.holders.size() == 1);
  CHECK(info.holders[0].user == "bob");

  // Restored from what the store kept.
  server::PersistedState state;
  state.files.push_back(std::get<server::op::PutFile>(first.writes[0]).file);
  state.holdings.push_back({"movie.mkv", "carol", "\x01\x00"});
  server::FileIndex restored;
  restored.restore(state);
  info = restored.info(6, "movie.mkv", everyone);
  CHECK(info.status == wire::Status::ok);
  CHECK(restored.owned_by("alice").chunks == 10);  // the quota counts what was registered before
  REQUIRE(info.holders.size() == 1);
  CHECK(info.holders[0].user == "carol");
}

TEST_CASE("file index: a holder that logs in again is forgotten until it re-announces") {
  server::FileIndex index;
  wire::RegisterFile doc{
      1, "doc.txt", 100, 4, std::string(32, 'h'), std::vector<std::string>(4, std::string(32, 'c'))};
  index.register_file("alice", doc, 5);
  index.set_holding("bob", wire::HaveChunks{"doc.txt", "\x03"});
  auto writes = index.drop_holder("alice");
  REQUIRE(writes.size() == 1);
  const auto& removal = std::get<server::op::SetHolding>(writes[0]).holding;
  CHECK(removal.user == "alice");
  CHECK(removal.chunks.find_first_not_of('\0') == std::string::npos);  // "holds nothing": the row goes
  auto info = index.info(2, "doc.txt", [](const std::string&) { return true; });
  REQUIRE(info.holders.size() == 1);
  CHECK(info.holders[0].user == "bob");
  CHECK(index.drop_holder("alice").empty());
}
