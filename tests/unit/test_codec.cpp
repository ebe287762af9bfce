#include <doctest/doctest.h>

#include <cereal/archives/portable_binary.hpp>
#include <random>
#include <sstream>

#include "shared/util/variant_index.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/frame.hpp"
#include "shared/wire/limits.hpp"

using namespace parley::wire;

namespace {

std::vector<std::uint8_t> payload_of(const Message& m) {
  auto frame = encode_frame(m);
  return {frame.begin() + kFrameHeader, frame.end()};
}

// A payload by hand: endianness marker, variant index, then fields.
struct Builder {
  std::vector<std::uint8_t> bytes{1};
  Builder& u8(std::uint8_t v) {
    bytes.push_back(v);
    return *this;
  }
  Builder& u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Builder& u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Builder& str(const std::string& s) {
    u64(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
};

constexpr std::uint32_t index_of_send_message = 4;

}  // namespace

TEST_CASE("every kind of message survives a round trip") {
  std::vector<Message> samples = {
      Hello{kProtocolVersion, "parley-peer/0.1"},
      Welcome{kProtocolVersion, "parley-server", 10000},
      Heartbeat{},
      Login{7, "alice", "secret", {"127.0.0.1", 4000, std::string(64, 'f')}, true},
      SendMessage{8, "id1", {"bob", "carol"}, "hello  there"},
      Broadcast{9, "id2", "to all"},
      WhoElse{10},
      WhoElseSince{11, 3600},
      Block{12, "bob"},
      Unblock{13, "bob"},
      Logout{14},
      AckOffline{{1, 2, 3}},
      LoginResult{7, Status::unknown_user, "alice", "no such account", 0, 42, true},
      Result{12, Status::already_blocked, "bob is already blocked"},
      SendResult{8, {{"bob", Status::ok}, {"carol", Status::stored_offline}}},
      BroadcastResult{9, 3, true},
      UserList{10, {"bob", "carol"}, {1700000000000, 0}},
      ChatEvent{"id1", "alice", {"bob", "carol"}, "hello", 1700000000000, 5, true},
      BroadcastEvent{"id2", "alice", "to all", 1700000000001},
      PresenceEvent{"alice", true, 1700000000002},
      LoggedOut{"inactivity", false},
      ProtocolError{Status::version_mismatch, "nope"},
      StartPrivate{15, "bob", LinkPurpose::transfer},
      LinkRequest{"token",
                  "alice",
                  std::string(64, 'a'),
                  LinkPurpose::transfer,
                  LinkPath::relay,
                  {"10.0.0.1", 4000, std::string(64, 'a')},
                  {"10.0.0.9", 7879, std::string(64, 'r'), "ticket"}},
      LinkAnswer{"token", true, ""},
      LinkOffer{15,
                Status::ok,
                "",
                "bob",
                {"127.0.0.1", 4001, std::string(64, 'b')},
                "token",
                LinkPurpose::transfer},
      RegisterFile{
          16, "movie.mkv", 1000, 2, std::string(32, 'h'), {std::string(32, '1'), std::string(32, '2')}},
      SearchFile{17, "movie.mkv", true},
      FileInfo{17, Status::ok, "", "movie.mkv", 1000, 2, std::string(32, 'h'), {}, {{"alice", "\x03"}}},
      HaveChunks{"movie.mkv", "\x01"},
      Ping{18},
      Pong{18},
      Announcement{"maintenance at six", 1700000000003},
      IdleWarning{30},
      Receipt{"id1", "bob"},
      Resume{19, "alice", std::string(64, 'a'), {"127.0.0.1", 5000, std::string(64, 'f')}},
      ReachProbe{std::string(32, 'c')},
      Reachability{false, true, "10.0.0.1:4000", "10.0.0.2:50000", "another peer's listener answered"},
      ListBlocked{20},
  };
  REQUIRE(samples.size() == std::variant_size_v<Message>);
  for (const auto& m : samples) {
    CAPTURE(type_name(m));
    auto decoded = decode(payload_of(m));
    REQUIRE(decoded.message);
    CHECK(decoded.message->index() == m.index());
    CHECK(encode_frame(*decoded.message) == encode_frame(m));  // same bytes again: nothing lost
  }
  auto chat = decode(payload_of(samples[17]));
  const auto& event = std::get<ChatEvent>(*chat.message);
  CHECK(event.from == "alice");
  CHECK(event.to == std::vector<std::string>{"bob", "carol"});
  CHECK(event.sent_ms == 1700000000000);
  CHECK(event.seq == 5);
  CHECK(event.offline);
}

TEST_CASE("payloads are cereal PortableBinary: cereal's own archive decodes with ours") {
  Message m = SendMessage{3, "abc", {"bob"}, "hi"};
  std::ostringstream out;
  {
    cereal::PortableBinaryOutputArchive ar(out);
    ar(m);
  }
  std::string bytes = out.str();
  auto decoded = decode(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  REQUIRE(decoded.message);
  CHECK(std::get<SendMessage>(*decoded.message).text == "hi");
  CHECK(payload_of(m) == std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

TEST_CASE("every truncation of a valid payload is an error, never a crash") {
  auto bytes = payload_of(SendMessage{3, "abc", {"bob", "carol"}, "some text"});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    auto decoded = decode(std::span(bytes.data(), n));
    CHECK_FALSE(decoded.message);
    CHECK_FALSE(decoded.error.empty());
  }
}

TEST_CASE("a huge size prefix is refused before anything is allocated") {
  // A SendMessage whose msg_id claims 2^40 bytes: cereal alone would try to allocate it.
  Builder b;
  b.u32(index_of_send_message).u32(1).u64(1ull << 40).u8('x');
  auto decoded = decode(b.bytes);
  CHECK_FALSE(decoded.message);
  CHECK(decoded.error.find("size prefix") != std::string::npos);

  // A recipient list claiming 2^60 entries.
  Builder c;
  c.u32(index_of_send_message).u32(1).str("id").u64(1ull << 60);
  CHECK_FALSE(decode(c.bytes).message);
}

TEST_CASE("garbage is rejected cleanly") {
  SUBCASE("unknown variant index") {
    Builder b;
    b.u32(9999);
    CHECK(decode(b.bytes).error.find("undecodable") != std::string::npos);
  }
  SUBCASE("negative variant index") {
    Builder b;
    b.u32(0xFFFFFFFF);
    CHECK_FALSE(decode(b.bytes).message);
  }
  SUBCASE("big-endian marker") {
    auto bytes = payload_of(Heartbeat{});
    bytes[0] = 0;
    CHECK_FALSE(decode(bytes).message);
  }
  SUBCASE("trailing bytes") {
    auto bytes = payload_of(Heartbeat{});
    bytes.push_back(0);
    CHECK(decode(bytes).error.find("trailing") != std::string::npos);
  }
  SUBCASE("a bool that is neither 0 nor 1") {
    auto bytes = payload_of(PresenceEvent{"alice", true, 1});
    // marker(1) + index(4) + user size(8) + "alice"(5) -> the bool
    bytes[1 + 4 + 8 + 5] = 7;
    CHECK_FALSE(decode(bytes).message);
  }
  SUBCASE("an unknown status value") {
    auto bytes = payload_of(Result{1, Status::ok, ""});
    bytes[1 + 4 + 4] = 200;
    CHECK(decode(bytes).error.find("status") != std::string::npos);
  }
  SUBCASE("random bytes never throw") {
    std::mt19937 rng(12345);
    for (int i = 0; i < 20000; ++i) {
      std::vector<std::uint8_t> bytes(rng() % 64);
      for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
      if (!bytes.empty()) bytes[0] = 1;
      CHECK_NOTHROW((void)decode(bytes));
    }
  }
}

TEST_CASE("limits are enforced on decode") {
  CHECK(decode(payload_of(SendMessage{1, "id", {"bob"}, std::string(kMaxText, 'x')})).message);
  CHECK(
      decode(payload_of(SendMessage{1, "id", {"bob"}, std::string(kMaxText + 1, 'x')})).error.find("text") !=
      std::string::npos);
  std::vector<std::string> many(kMaxRecipients + 1, "bob");
  CHECK_FALSE(decode(payload_of(SendMessage{1, "id", many, "x"})).message);
  CHECK_FALSE(decode(payload_of(Login{1, std::string(kMaxUsername + 1, 'a'), "pw", {}})).message);
  CHECK_FALSE(decode(payload_of(WhoElseSince{1, -5})).message);
  CHECK_FALSE(decode(payload_of(ChatEvent{"id", "bad name!", {}, "x", 0, 0})).message);
  // last_seen_ms is empty (whoelse) or one time per user (whoelsesince).
  CHECK(validate(UserList{1, {"bob", "carol"}, {}}).empty());
  CHECK(validate(UserList{1, {"bob", "carol"}, {5, 0}}).empty());
  CHECK(validate(UserList{1, {"bob", "carol"}, {5}}).find("last_seen_ms") != std::string::npos);
  CHECK_FALSE(decode(payload_of(IdleWarning{-1})).message);
}

TEST_CASE("usernames") {
  CHECK(is_valid_username("alice"));
  CHECK(is_valid_username("a.b-c_d9"));
  CHECK_FALSE(is_valid_username(""));
  CHECK_FALSE(is_valid_username("a b"));
  CHECK_FALSE(is_valid_username("a,b"));
  CHECK_FALSE(is_valid_username("../x"));
  CHECK_FALSE(is_valid_username(std::string(kMaxUsername + 1, 'a')));
}

TEST_CASE("direct-link messages: round trips, and they are not registry messages") {
  std::vector<LinkMessage> samples = {
      LinkHello{kLinkVersion, "alice", "token", LinkPurpose::transfer},
      LinkWelcome{"bob"},
      LinkRefused{"bad token"},
      PrivateText{"id", "psst", 1700000000000},
      PrivateAck{"id"},
      LinkBye{"bye"},
      LinkHeartbeat{},
      PieceRequest{7, "movie.mkv", 3, 131072, 65536},
      PieceData{7, std::string(1000, '\x7f')},
      PieceRefused{7, "not shared"},
      LinkProbe{"token"},
      RelayHello{kLinkVersion, "ticket"},
      RelayAnswer{false, "the relay is full"},
  };
  REQUIRE(samples.size() == std::variant_size_v<LinkMessage>);
  for (const auto& m : samples) {
    CAPTURE(type_name(m));
    auto frame = encode_frame(m);
    auto decoded = decode_link(std::span(frame).subspan(kFrameHeader));
    REQUIRE(decoded.message);
    CHECK(encode_frame(*decoded.message) == frame);
  }
  CHECK_FALSE(decode_link(payload_of(Heartbeat{})).message);  // index 2 of the other variant: LinkRefused
  CHECK_FALSE(decode_link(payload_of(Login{1, "a", "b", {}})).message);
  auto long_text = encode_frame(LinkMessage{PrivateText{"id", std::string(kMaxText + 1, 'x'), 0}});
  CHECK_FALSE(decode_link(std::span(long_text).subspan(kFrameHeader)).message);
  // Pieces are bounded both ways; a zero-length request is meaningless.
  CHECK(validate(LinkMessage{PieceRequest{1, "f", 0, 0, kMaxPiece}}).empty());
  CHECK_FALSE(validate(LinkMessage{PieceRequest{1, "f", 0, 0, kMaxPiece + 1}}).empty());
  CHECK_FALSE(validate(LinkMessage{PieceRequest{1, "f", 0, 0, 0}}).empty());
  CHECK_FALSE(validate(LinkMessage{PieceData{1, std::string(kMaxPiece + 1, 'x')}}).empty());
  CHECK(encode_frame(LinkMessage{PieceData{1, std::string(kMaxPiece, 'x')}}).size() <=
        kFrameHeader + kMaxLinkFrame);
  // An unknown purpose is refused.
  auto hello = encode_frame(LinkMessage{LinkHello{kLinkVersion, "alice", "t", LinkPurpose::chat}});
  hello.back() = 7;
  CHECK_FALSE(decode_link(std::span(hello).subspan(kFrameHeader)).message);
}

TEST_CASE("file messages: names, digests and chunk counts are checked") {
  auto reg = [](std::string name, std::uint64_t size, std::uint32_t count, std::size_t digest_size) {
    return Message{RegisterFile{1, std::move(name), size, count, std::string(32, 'h'),
                                std::vector<std::string>(count, std::string(digest_size, 'd'))}};
  };
  CHECK(validate(reg("ok.bin", 10, 2, 32)).empty());
  CHECK_FALSE(validate(reg("../etc/passwd", 10, 2, 32)).empty());
  CHECK_FALSE(validate(reg("a/b", 10, 2, 32)).empty());
  CHECK_FALSE(validate(reg("ok.bin", 10, 2, 31)).empty());  // a digest of the wrong size
  CHECK_FALSE(validate(reg("ok.bin", 10, 0, 32)).empty());  // no chunks
  CHECK_FALSE(validate(reg("ok.bin", 1, 2, 32)).empty());   // more chunks than bytes
  auto mismatched = RegisterFile{1, "ok.bin", 10, 2, std::string(32, 'h'), {std::string(32, 'd')}};
  CHECK_FALSE(validate(Message{mismatched}).empty());
  CHECK_FALSE(validate(Message{HaveChunks{"x", std::string(200, '\xff')}}).empty());  // > 1024 bits
}

TEST_CASE("peek_index names the alternative without decoding, and only for a plausible header") {
  auto frame = parley::wire::encode_frame(parley::wire::Message{parley::wire::PresenceEvent{"alice", {}, 5}});
  std::span<const std::uint8_t> payload(frame.data() + parley::wire::kFrameHeader,
                                        frame.size() - parley::wire::kFrameHeader);
  CHECK(parley::wire::peek_index(payload) ==
        (parley::variant_index<parley::wire::PresenceEvent, parley::wire::Message>()));
  CHECK(parley::wire::peek_index(payload) == parley::wire::decode(payload).message->index());
  CHECK_FALSE(parley::wire::peek_index(payload.first(4)));  // too short
  std::vector<std::uint8_t> bad(payload.begin(), payload.end());
  bad[0] = 0;  // not the little-endian marker
  CHECK_FALSE(parley::wire::peek_index(bad));
  bad[0] = 1;
  bad[4] = 0x7f;  // an index no alternative has
  CHECK_FALSE(parley::wire::peek_index(bad));
}

TEST_CASE(
    "frames are exactly their bytes, whatever the thread encoded before (the encoder reuses a buffer)") {
  const Message small{PresenceEvent{"alice", {}, 5}};
  const auto before = encode_frame(small);
  // Same layout as cereal's PortableBinary archive: endianness marker, variant index,
  // then the fields, after a big-endian length.
  std::ostringstream reference;
  {
    cereal::PortableBinaryOutputArchive ar(reference);
    ar(small);
  }
  const std::string payload = reference.str();
  REQUIRE(before.size() == kFrameHeader + payload.size());
  CHECK(read_be32(before.data()) == payload.size());
  CHECK(std::equal(payload.begin(), payload.end(), before.begin() + kFrameHeader,
                   [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; }));

  const auto big = encode_frame(LinkMessage{PieceData{1, std::string(kMaxPiece, 'x')}});
  CHECK(big.size() > kMaxPiece);
  CHECK(encode_frame(small) == before);  // nothing of the big frame is left behind
  CHECK(*make_frame(small) == before);
  CHECK(make_frame(small)->capacity() == before.size());  // one allocation of the exact size
}
