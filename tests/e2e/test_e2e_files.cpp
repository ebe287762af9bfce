// End to end for the file registry: registering files from the share folder and
// searching for them and their chunks, with the built binaries.
#include <doctest/doctest.h>

#include "shared/files/hashing.hpp"
#include "shared/util/hex.hpp"
#include "tests/e2e/e2e_support.hpp"

using namespace parley::test;
using nlohmann::json;

TEST_CASE("e2e files: register, searchFile, searchChunk and their errors") {
  TempDir dir;
  write_text(dir / "credentials.txt", kAccounts);
  std::filesystem::create_directories(dir / "share");
  std::string content(100000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 131) >> 3);
  write_text(dir / "share" / "data.bin", content);
  write_text(dir / "secret.txt", "outside the share folder");
  std::filesystem::create_symlink(dir / "secret.txt", dir / "share" / "escape.txt");
  ServerProcess server(dir);
  Peer alice(dir, server.port, "alice", "alice123", {"--share-dir", (dir / "share").string()});
  Peer bob(dir, server.port, "bob", "bob123");
  REQUIRE(alice->wait_type("login"));
  REQUIRE(bob->wait_type("login"));

  alice->write_line("register data.bin 4");
  auto registered = alice->wait_type("registered");
  REQUIRE(registered);
  CHECK((*registered)["file"] == "data.bin");
  CHECK((*registered)["chunks"] == 4);
  CHECK((*registered)["size"] == 100000);
  auto digest =
      parley::files::sha256(std::span(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()));
  CHECK((*registered)["sha256"] ==
        parley::to_hex(std::span(reinterpret_cast<const std::uint8_t*>(digest.data()), digest.size())));

  auto error_for = [&](Peer& p, const std::string& line) {
    p->write_line(line);
    auto e = p->wait_type("error");
    REQUIRE_MESSAGE(e, line);
    CHECK((*e)["command"] == line.substr(0, line.find(' ')));
    return (*e)["message"].get<std::string>();
  };
  CHECK(error_for(alice, "register data.bin 4").find("already registered") != std::string::npos);
  CHECK(error_for(alice, "register nope.bin 2") == "no such file 'nope.bin' in the share folder");
  CHECK(error_for(alice, "register ../secret.txt 2").find("not the name of a file in your share folder") !=
        std::string::npos);
  CHECK(error_for(alice, "register escape.txt 2") == "'escape.txt' leads outside the share folder");
  CHECK(error_for(alice, "register data.bin 0").find("at least 1") != std::string::npos);
  CHECK(error_for(alice, "register data.bin 100001").find("more than the file's 100000 bytes") !=
        std::string::npos);
  CHECK(error_for(alice, "register data.bin 1025").find("maximum of 1024") != std::string::npos);

  bob->write_line("searchFile data.bin");
  auto found = bob->wait_type("file");
  REQUIRE(found);
  CHECK((*found)["available"] == true);
  CHECK((*found)["users"] == json::array({"alice"}));
  CHECK(error_for(bob, "searchFile other.bin") == "no file named 'other.bin' is registered");

  bob->write_line("searchChunk data.bin 1 4");
  auto chunks = bob->wait_type("chunks");
  REQUIRE(chunks);
  CHECK((*chunks)["chunks"]["1"] == json::array({"alice"}));
  CHECK((*chunks)["chunks"]["4"] == json::array({"alice"}));
  CHECK(error_for(bob, "searchChunk data.bin 5") == "chunk 5 is out of range: data.bin has chunks 1 to 4");
  CHECK(error_for(bob, "searchChunk data.bin 0").find("out of range") != std::string::npos);
  CHECK(error_for(bob, "searchChunk other.bin 1") == "no file named 'other.bin' is registered");

  // The only holder leaves: the file stays registered but is not available.
  alice->close_stdin();
  REQUIRE(alice->wait_exit() == 0);
  bob->write_line("searchFile data.bin");
  auto gone = bob->wait_type("file");
  REQUIRE(gone);
  CHECK((*gone)["available"] == false);
  CHECK((*gone)["users"] == json::array());
  bob->write_line("searchChunk data.bin 2");
  auto none = bob->wait_type("chunks");
  REQUIRE(none);
  CHECK((*none)["chunks"]["2"] == json::array());
}
