#include <doctest/doctest.h>

#include "peer/json/json_view.hpp"

using namespace parley;
using namespace parley::peer;

namespace {

// 2026-11-21T18:50:07.123Z
constexpr std::int64_t kT = 1795287007123;

// Every object the event renders to, one per line, as --json prints them.
std::string lines(const Event& event) {
  std::string out;
  for (const auto& object : to_json(event)) out += json_line(object) + "\n";
  return out;
}

DownloadView sample_download() {
  DownloadView d;
  d.file = "movie.mkv";
  d.state = "finished";
  d.done = 4;
  d.total = 4;
  d.bytes = 4096;
  d.total_bytes = 4096;
  d.rate = 1500.7;
  d.path = "/dl/movie.mkv";
  d.sha256 = "ab12";
  d.sources = {"bob", "carol"};
  d.resumed = 1;
  d.fetched = 3;
  return d;
}

}  // namespace

TEST_CASE("json: session events are today's objects") {
  CHECK(lines(ev::LoggedIn{"alice", "127.0.0.1:4000", "abcd"}) ==
        "{\"type\":\"login\",\"user\":\"alice\"}\n"
        "{\"type\":\"info\",\"message\":\"direct links: listening on 127.0.0.1:4000 as ab:cd\","
        "\"p2p\":\"127.0.0.1:4000\",\"fingerprint\":\"abcd\"}\n");
  CHECK(lines(ev::LoggedOut{"logged out", false}) == "{\"type\":\"logout\",\"reason\":\"logged out\"}\n");
  CHECK(lines(ev::Error{"message", "unknown user 'zed'"}) ==
        "{\"type\":\"error\",\"command\":\"message\",\"message\":\"unknown user 'zed'\"}\n");
  CHECK(lines(ev::Notice{"bob is blocked", {}}) == "{\"type\":\"info\",\"message\":\"bob is blocked\"}\n");
  CHECK(lines(ev::Notice{"account alice created", {{"user", std::string("alice")}, {"created", true}}}) ==
        "{\"type\":\"info\",\"message\":\"account alice created\",\"user\":\"alice\",\"created\":true}\n");
  CHECK(lines(ev::Notice{"corrupt", {{"chunk", std::int64_t{3}}, {"corrupt", true}}}) ==
        "{\"type\":\"info\",\"message\":\"corrupt\",\"chunk\":3,\"corrupt\":true}\n");
  CHECK(lines(ev::Server{false, "connection lost"}) ==
        "{\"type\":\"server\",\"state\":\"lost\",\"reason\":\"connection lost\"}\n");
  CHECK(lines(ev::Server{true, ""}) == "{\"type\":\"server\",\"state\":\"back\"}\n");
  CHECK(lines(ev::Help{"usage"}) == "{\"type\":\"help\",\"text\":\"usage\"}\n");
  CHECK(lines(ev::Pong{0.04}) == "{\"type\":\"pong\",\"ms\":0.0}\n");
  CHECK(lines(ev::Pong{1.26}) == "{\"type\":\"pong\",\"ms\":1.3}\n");
  CHECK(lines(ev::Announcement{"maintenance", kT}) ==
        "{\"type\":\"announcement\",\"text\":\"maintenance\",\"time\":\"2026-11-21T18:50:07.123Z\"}\n");
}

TEST_CASE("json: messages and presence are today's objects") {
  wire::ChatEvent chat{"id1", "bob", {}, "hi", kT, 0};
  CHECK(lines(ev::Chat{chat, false}) ==
        "{\"type\":\"message\",\"from\":\"bob\",\"text\":\"hi\",\"time\":\"2026-11-21T18:50:07.123Z\","
        "\"offline\":false,\"id\":\"id1\"}\n");
  chat.to = {"alice", "carol"};
  chat.seq = 7;
  chat.offline = true;
  CHECK(lines(ev::Chat{chat, false}) ==
        "{\"type\":\"message\",\"from\":\"bob\",\"text\":\"hi\",\"time\":\"2026-11-21T18:50:07.123Z\","
        "\"offline\":true,\"id\":\"id1\",\"to\":[\"alice\",\"carol\"]}\n");
  CHECK(lines(ev::Broadcast{{"id2", "bob", "all", kT}, false}) ==
        "{\"type\":\"broadcast\",\"from\":\"bob\",\"text\":\"all\",\"time\":\"2026-11-21T18:50:07.123Z\","
        "\"id\":\"id2\"}\n");
  CHECK(lines(ev::Presence{{"bob", true, kT}}) ==
        "{\"type\":\"presence\",\"user\":\"bob\",\"online\":true,\"time\":\"2026-11-21T18:50:07.123Z\"}\n");
  CHECK(lines(ev::Private{"bob", "alice", {"id3", "psst", kT}, false, false}) ==
        "{\"type\":\"private\",\"from\":\"bob\",\"text\":\"psst\",\"time\":\"2026-11-21T18:50:07.123Z\","
        "\"id\":\"id3\"}\n");
  CHECK(lines(ev::Link{"bob", true, "opened by you", ""}) ==
        "{\"type\":\"link\",\"user\":\"bob\",\"state\":\"open\",\"reason\":\"opened by you\"}\n");
  CHECK(lines(ev::Link{"bob", false, "closed by bob", "abcd"}) ==
        "{\"type\":\"link\",\"user\":\"bob\",\"state\":\"closed\",\"reason\":\"closed by bob\"}\n");
}

TEST_CASE("json: our own messages are today's per-recipient confirmations") {
  ev::Sent sent{"id", {"bob", "carol", "zed"}, "hi", false, kT, {}};
  sent.results = {{"bob", wire::Status::ok},
                  {"carol", wire::Status::stored_offline},
                  {"zed", wire::Status::unknown_user}};
  CHECK(
      lines(sent) ==
      "{\"type\":\"info\",\"message\":\"message delivered to "
      "bob\",\"user\":\"bob\",\"status\":\"delivered\"}\n"
      "{\"type\":\"info\",\"message\":\"carol is offline: message stored for delivery at their next login\","
      "\"user\":\"carol\",\"status\":\"stored\"}\n"
      "{\"type\":\"error\",\"command\":\"message\",\"message\":\"unknown user 'zed'\"}\n");
  CHECK(lines(ev::BroadcastSent{"id", "hi", false, 1, false}) ==
        "{\"type\":\"info\",\"message\":\"broadcast sent to 1 user\",\"delivered\":1}\n");
  CHECK(lines(ev::BroadcastSent{"id", "hi", false, 3, true}) ==
        "{\"type\":\"info\",\"message\":\"broadcast sent to 3 users\",\"delivered\":3}\n"
        "{\"type\":\"info\",\"message\":\"some online users did not receive your "
        "broadcast\",\"warning\":true}\n");
  CHECK(lines(ev::Private{"alice", "bob", {"id", "psst", kT}, true, false}) ==
        "{\"type\":\"info\",\"message\":\"private message delivered to bob\",\"user\":\"bob\","
        "\"status\":\"delivered\"}\n");
}

TEST_CASE("json: /me actions are marked, and only they") {
  CHECK(to_json(ev::Chat{{"id", "bob", {}, "waves", kT, 0}, true}).front()["action"] == true);
  CHECK(to_json(ev::Broadcast{{"id", "bob", "waves", kT}, true}).front()["action"] == true);
  CHECK(to_json(ev::Private{"bob", "alice", {"id", "waves", kT}, false, true}).front()["action"] == true);
  CHECK_FALSE(to_json(ev::Chat{{"id", "bob", {}, "hi", kT, 0}, false}).front().contains("action"));
}

TEST_CASE("json: users, with when each was last seen for whoelsesince") {
  CHECK(lines(ev::Users{"whoelse", {{"bob", 0}, {"carol", 0}}}) ==
        "{\"type\":\"users\",\"command\":\"whoelse\",\"users\":[\"bob\",\"carol\"]}\n");
  CHECK(lines(ev::Users{"users", {}}) == "{\"type\":\"users\",\"command\":\"users\",\"users\":[]}\n");
  CHECK(lines(ev::Users{"whoelsesince", {{"bob", 0}, {"carol", kT}}}) ==
        "{\"type\":\"users\",\"command\":\"whoelsesince\",\"users\":[\"bob\",\"carol\"],"
        "\"last_seen\":{\"carol\":\"2026-11-21T18:50:07.123Z\"}}\n");
}

TEST_CASE("json: files are today's objects") {
  CHECK(lines(ev::Registered{"a.txt", 3, 1000, "ff"}) ==
        "{\"type\":\"registered\",\"file\":\"a.txt\",\"chunks\":3,\"size\":1000,\"sha256\":\"ff\"}\n");
  CHECK(lines(ev::FileFound{"a.txt", {}}) ==
        "{\"type\":\"file\",\"file\":\"a.txt\",\"available\":false,\"users\":[]}\n");
  CHECK(lines(ev::FileFound{"a.txt", {"bob"}}) ==
        "{\"type\":\"file\",\"file\":\"a.txt\",\"available\":true,\"users\":[\"bob\"]}\n");
  CHECK(lines(ev::Chunks{"a.txt", {{1, {"bob"}}, {2, {}}}}) ==
        "{\"type\":\"chunks\",\"file\":\"a.txt\",\"chunks\":{\"1\":[\"bob\"],\"2\":[]}}\n");
}

TEST_CASE("json: downloads are today's objects, rows with rate and the chunks asked for") {
  DownloadView d = sample_download();
  ev::DownloadStarted started{d};
  CHECK(lines(started) ==
        "{\"type\":\"info\",\"message\":\"downloading movie.mkv in the background\","
        "\"file\":\"movie.mkv\",\"state\":\"started\"}\n");
  started.download.whole_file = false;
  started.download.chunks = {1, 3};
  CHECK(lines(started) ==
        "{\"type\":\"info\",\"message\":\"downloading movie.mkv (chunks 1, 3) in the background\","
        "\"file\":\"movie.mkv\",\"state\":\"started\"}\n");
  CHECK(lines(ev::Progress{d}) ==
        "{\"type\":\"progress\",\"file\":\"movie.mkv\",\"done\":4,\"total\":4,"
        "\"bytes\":4096,\"rate\":1500,\"total_bytes\":4096}\n");
  CHECK(lines(ev::Downloaded{d}) ==
        "{\"type\":\"downloaded\",\"file\":\"movie.mkv\",\"path\":\"/dl/"
        "movie.mkv\",\"chunks\":4,\"sha256\":\"ab12\","
        "\"sources\":[\"bob\",\"carol\"],\"bytes\":4096,\"resumed\":1,\"fetched\":3}\n");
  DownloadView failed = d;
  failed.state = "failed";
  failed.error = "nobody has movie.mkv";
  CHECK(lines(ev::Downloaded{failed}) ==
        "{\"type\":\"error\",\"command\":\"download\",\"message\":\"nobody has movie.mkv\"}\n");
  DownloadView partial = failed;
  partial.whole_file = false;
  partial.chunks = {1, 2};
  CHECK(lines(ev::Downloads{{d, partial}}) ==
        "{\"type\":\"downloads\",\"downloads\":["
        "{\"file\":\"movie.mkv\",\"state\":\"finished\",\"done\":4,\"total\":4,\"bytes\":4096,\"total_"
        "bytes\":4096,"
        "\"path\":\"/dl/movie.mkv\",\"sources\":[\"bob\",\"carol\"],\"rate\":1500},"
        "{\"file\":\"movie.mkv\",\"state\":\"failed\",\"done\":4,\"total\":4,\"bytes\":4096,\"total_bytes\":"
        "4096,"
        "\"path\":\"/dl/movie.mkv\",\"sources\":[\"bob\",\"carol\"],\"error\":\"nobody has "
        "movie.mkv\",\"rate\":1500,"
        "\"chunks\":[1,2]}]}\n");
  CHECK(lines(ev::Downloads{}) == "{\"type\":\"downloads\",\"downloads\":[]}\n");
}

TEST_CASE("json: the new types") {
  CHECK(lines(ev::Uploads{{{"bob", "movie.mkv", 2048, 100.9}}}) ==
        "{\"type\":\"uploads\",\"uploads\":[{\"user\":\"bob\",\"file\":\"movie.mkv\",\"bytes\":2048,\"rate\":"
        "100}]}\n");
  CHECK(lines(ev::Fingerprint{"alice", "abcd", true}) ==
        "{\"type\":\"fingerprint\",\"user\":\"alice\",\"fingerprint\":\"abcd\",\"mine\":true}\n");
  CHECK(lines(ev::IdleWarning{30}) ==
        "{\"type\":\"info\",\"message\":\"you will be logged out in 30 s; press Enter "
        "to stay\",\"idle_logout_in\":30}\n");
  CHECK(lines(ev::LoggedOut{"logged out after 4 s of inactivity", true}) ==
        "{\"type\":\"logout\",\"reason\":\"logged out after 4 s of inactivity\",\"can_log_in\":true}\n");
  CHECK(lines(ev::Link{"bob", true, "opened by you", "abcd"}) ==
        "{\"type\":\"link\",\"user\":\"bob\",\"state\":\"open\",\"reason\":\"opened by "
        "you\",\"fingerprint\":\"abcd\"}\n");
}

TEST_CASE("json: text that is not UTF-8 is replaced, not thrown") {
  CHECK(lines(ev::Help{"bad \xff byte"}) == "{\"type\":\"help\",\"text\":\"bad \xef\xbf\xbd byte\"}\n");
}

TEST_CASE("json: the running-downloads status is for status lines, not a line of its own") {
  CHECK(parley::peer::to_json(parley::peer::ev::Running{}).empty());
}

TEST_CASE("json: receipts of our own messages, as each recipient's state becomes known") {
  ev::Sent pending{"id7", {"bob"}, "hi", false, kT, {}};
  pending.pending = true;
  CHECK(lines(pending).empty());  // scripts hear the answer, as before
  ev::Sent sent{"id7", {"bob", "carol", "zed"}, "hi", false, kT, {}};
  sent.results = {{"bob", wire::Status::ok},
                  {"carol", wire::Status::stored_offline},
                  {"zed", wire::Status::unknown_user}};
  sent.receipts = {{"id7", "bob", "delivered", "hi"}, {"id7", "carol", "stored", "hi"}};
  CHECK(
      lines(sent) ==
      "{\"type\":\"info\",\"message\":\"message delivered to "
      "bob\",\"user\":\"bob\",\"status\":\"delivered\"}\n"
      "{\"type\":\"info\",\"message\":\"carol is offline: message stored for delivery at their next login\","
      "\"user\":\"carol\",\"status\":\"stored\"}\n"
      "{\"type\":\"error\",\"command\":\"message\",\"message\":\"unknown user 'zed'\"}\n"
      "{\"type\":\"receipt\",\"id\":\"id7\",\"to\":\"bob\",\"state\":\"delivered\"}\n"
      "{\"type\":\"receipt\",\"id\":\"id7\",\"to\":\"carol\",\"state\":\"stored\"}\n");
  CHECK(lines(ev::Receipt{"id7", "carol", "delivered", "hi"}) ==
        "{\"type\":\"receipt\",\"id\":\"id7\",\"to\":\"carol\",\"state\":\"delivered\"}\n");
  ev::Sent unanswered{"id8", {"bob"}, "later", false, 0, {}, "message", true};
  unanswered.resent = true;  // back in the outbox: the same object as when typed offline
  CHECK(lines(unanswered) ==
        "{\"type\":\"message\",\"mine\":true,\"to\":[\"bob\"],\"text\":\"later\","
        "\"time\":\"1970-01-01T00:00:00.000Z\",\"id\":\"id8\",\"state\":\"queued\"}\n");
}

TEST_CASE("json: a queued message of ours and the history") {
  ev::Sent queued{"id9", {"bob"}, "later", false, 0, {}, "message", true};
  CHECK(json_line(to_json(queued).at(0)) ==
        "{\"type\":\"message\",\"mine\":true,\"to\":[\"bob\"],\"text\":\"later\","
        "\"time\":\"1970-01-01T00:00:00.000Z\",\"id\":\"id9\",\"state\":\"queued\"}");
  ev::History history{
      "bob", {StoredMessage{1, "id1", "message", "bob", {"alice"}, "hi", false, false, 0, "received", {}}}};
  CHECK(json_line(to_json(history).at(0)) ==
        "{\"type\":\"history\",\"messages\":[{\"id\":\"id1\",\"kind\":\"message\",\"from\":\"bob\",\"to\":["
        "\"alice\"],"
        "\"text\":\"hi\",\"mine\":false,\"time\":\"1970-01-01T00:00:00.000Z\",\"state\":\"received\"}],"
        "\"user\":\"bob\"}");
}

TEST_CASE("json: blocked answers the command only; scripts see no line for the list learned at login") {
  CHECK(lines(ev::Blocked{{"bob", "carol"}, true}) == R"({"type":"blocked","users":["bob","carol"]})"
                                                      "\n");
  CHECK(lines(ev::Blocked{{}, true}) == R"({"type":"blocked","users":[]})"
                                        "\n");
  CHECK(lines(ev::Blocked{{"bob"}, false}).empty());
}
