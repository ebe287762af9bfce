// Writes the seed corpus: a few valid inputs per fuzz target, from which libFuzzer's
// mutations start (a fuzzer that must first guess cereal's layout finds little).
// Regenerate after a wire change with `build/fuzz/make_seeds fuzz/corpus`; inputs that
// libFuzzer found and saved next to them stay.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"
#include "shared/wire/limits.hpp"

namespace {

namespace fs = std::filesystem;
namespace wire = parley::wire;
using Bytes = std::vector<std::uint8_t>;

void write(const fs::path& dir, const std::string& name, const void* data, std::size_t size) {
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}
void write(const fs::path& dir, const std::string& name, const Bytes& bytes) {
  write(dir, name, bytes.data(), bytes.size());
}
void write(const fs::path& dir, const std::string& name, const std::string& text) {
  write(dir, name, text.data(), text.size());
}

Bytes payload(const Bytes& frame) { return {frame.begin() + wire::kFrameHeader, frame.end()}; }

// Every alternative as default-constructed, so each type's layout is in the corpus.
template <class Variant, std::size_t... I>
std::vector<Variant> every_alternative(std::index_sequence<I...>) {
  return {Variant(std::in_place_index<I>)...};
}

std::vector<wire::Message> registry_messages() {
  auto all = every_alternative<wire::Message>(std::make_index_sequence<std::variant_size_v<wire::Message>>());
  all.emplace_back(wire::Hello{wire::kProtocolVersion, "parley-peer 0.1"});
  all.emplace_back(wire::Login{7, "alice", "alice123", {"127.0.0.1", 40000, std::string(64, 'a')}, false});
  all.emplace_back(wire::SendMessage{8, "m-1", {"bob", "carol"}, "hello there"});
  all.emplace_back(wire::Broadcast{9, "m-2", "hi all"});
  all.emplace_back(wire::WhoElseSince{10, 3600});
  all.emplace_back(wire::Block{11, "mallory"});
  all.emplace_back(wire::AckOffline{{1, 2, 3}});
  return all;
}

std::vector<wire::LinkMessage> link_messages() {
  auto all = every_alternative<wire::LinkMessage>(
      std::make_index_sequence<std::variant_size_v<wire::LinkMessage>>());
  all.emplace_back(
      wire::LinkHello{wire::kLinkVersion, "alice", std::string(32, 't'), wire::LinkPurpose::transfer});
  all.emplace_back(wire::PrivateText{"p-1", "psst", 1700000000000});
  all.emplace_back(wire::PieceRequest{5, "movie.bin", 2, 65536, 16384});
  all.emplace_back(wire::PieceData{5, "some bytes of a piece"});
  all.emplace_back(wire::PieceRefused{6, "not shared here"});
  return all;
}

void wire_seeds(const fs::path& root) {
  Bytes stream{3, 42};  // the frame target's two leading bytes: limit choice, cut seed
  int n = 0;
  for (const auto& m : registry_messages()) {
    const Bytes frame = wire::encode_frame(m);
    write(root / "registry", std::to_string(n++) + "-" + wire::type_name(m), payload(frame));
    if (n % 6 == 0) stream.insert(stream.end(), frame.begin(), frame.end());
  }
  n = 0;
  for (const auto& m : link_messages()) {
    const Bytes frame = wire::encode_frame(m);
    write(root / "link", std::to_string(n++) + "-" + wire::type_name(m), payload(frame));
    if (std::holds_alternative<wire::PieceData>(m))
      write(root / "piece", "PieceData-" + std::to_string(n), payload(frame));
  }
  write(root / "frame", "messages", stream);
  write(root / "frame", "oversized", Bytes{0, 7, 0, 0, 0, 9, 1, 2, 3});
  write(root / "frame", "split", Bytes{6, 200, 0, 0, 0, 2, 1, 2, 0, 0, 0, 3, 4, 5});
  write(root / "frame", "after-large",
        Bytes{0x86, 9, 0, 0, 0, 3, 1, 2, 3, 0, 0, 0xa0});  // see fuzz_frame.cpp
}

void text_seeds(const fs::path& root) {
  const std::vector<std::pair<std::string, std::string>> commands{
      {"message", "message bob,carol hello there"},
      {"slash", "/whisper bob hi"},
      {"broadcast", "BROADCAST hi all"},
      {"since", "whoelsesince 3600"},
      {"register", "register notes.txt 4"},
      {"chunks", "searchChunk notes.txt 1 2 3"},
      {"download", "download notes.txt 2 4"},
      {"history", "history bob 50"},
      {"help", "help searchfile"},
      {"typo", "mesage bob hi"},
      {"private", "private bob  psst "},
      {"me", "/me waves"},
  };
  for (const auto& [name, text] : commands) write(root / "commands", name, text);
  write(root / "credentials", "plain", std::string("# accounts\nalice alice123\nbob\tbob123\r\n\n"));
  write(root / "credentials", "hashes",
        std::string("carol $scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n"
                    "dave $pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n"));
  write(root / "credentials", "problems",
        std::string("\xEF\xBB\xBF"
                    "alice a\nalice b\nb@d x\nonly\n"));
  write(root / "config", "full",
        std::string("# settings\nserver = chat.example.org:7878\nuser = alice\njson = true\n"
                    "p2p-port = 0\nupload-limit = 512\nhistory-days = 30\nno-bell = yes\n"
                    "server-fingerprint = " +
                    std::string(64, 'A') + "\n"));
  write(root / "config", "errors", std::string("server=[::1]:7878\n--user = x\nbogus\n"));
  write(root / "config", "flags", std::string("fallback = ON\nsign-up = 0\nlog-level = debug\n"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  wire_seeds(argv[1]);
  text_seeds(argv[1]);
  return 0;
}
