// The web UI's pure parts: the event log's resumption, the request checks, the page's
// commands as shell lines, the page's JSON for your own messages, and --web's address.
#include <doctest/doctest.h>

#include <thread>

#include "peer/options.hpp"
#include "peer/web/event_log.hpp"
#include "peer/web/web_auth.hpp"
#include "peer/web/web_commands.hpp"
#include "peer/web/web_json.hpp"

using namespace parley;
using namespace parley::peer;
using namespace parley::peer::web;
using namespace std::chrono_literals;

TEST_CASE("event log: a reader resumes after the last id it saw, without gaps") {
  EventLog log(3);
  CHECK(log.append("a") == 1);
  CHECK(log.append("b") == 2);
  auto batch = log.read(1, 0ms);
  REQUIRE(batch.entries.size() == 1);
  CHECK(batch.entries[0].id == 2);
  CHECK(batch.entries[0].data == "b");
  CHECK_FALSE(batch.reset);
  CHECK(log.read(2, 0ms).entries.empty());
  CHECK(log.read(0, 0ms).entries.size() == 2);
}

TEST_CASE("event log: an id that fell out of the log, or was never given, is a reset") {
  EventLog log(2);
  for (const char* s : {"a", "b", "c", "d"}) log.append(s);
  auto gone = log.read(1, 0ms);  // 2 was dropped: the reader would miss it
  CHECK(gone.reset);
  CHECK(gone.last_id == 4);
  CHECK_FALSE(log.read(2, 0ms).reset);  // 3 and 4 are still there
  CHECK(log.read(2, 0ms).entries.size() == 2);
  CHECK(log.read(99, 0ms).reset);  // another run of the peer
}

TEST_CASE("event log: a waiting reader wakes for an append, and for close") {
  EventLog log(8);
  std::thread writer([&] { log.append("late"); });  // before or during the read: both must work
  auto batch = log.read(0, 10s);
  writer.join();
  REQUIRE(batch.entries.size() == 1);
  CHECK(batch.entries[0].data == "late");
  std::thread closer([&] { log.close(); });
  CHECK(log.read(1, 10s).closed);
  closer.join();
}

TEST_CASE("host check: addresses and localhost with the bound port; names are refused") {
  CHECK(host_allowed("127.0.0.1:8080", "127.0.0.1", 8080));
  CHECK(host_allowed("localhost:8080", "127.0.0.1", 8080));
  CHECK(host_allowed("[::1]:8080", "::1", 8080));
  CHECK(host_allowed("192.168.1.5:8080", "0.0.0.0", 8080));
  CHECK(host_allowed("chat.lan:8080", "chat.lan", 8080));
  CHECK_FALSE(host_allowed("evil.example:8080", "127.0.0.1", 8080));  // DNS rebinding
  CHECK_FALSE(host_allowed("127.0.0.1:8081", "127.0.0.1", 8080));
  CHECK_FALSE(host_allowed("127.0.0.1", "127.0.0.1", 8080));
  CHECK_FALSE(host_allowed("", "127.0.0.1", 8080));
  CHECK_FALSE(host_allowed(":8080", "127.0.0.1", 8080));
}

TEST_CASE("origin check: only the UI's own origin") {
  CHECK(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
  CHECK_FALSE(origin_allowed("http://evil.example", "127.0.0.1:8080"));
  CHECK_FALSE(origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080"));
  CHECK_FALSE(origin_allowed("https://127.0.0.1:8080", "127.0.0.1:8080"));
  CHECK_FALSE(origin_allowed("", "127.0.0.1:8080"));
  CHECK_FALSE(origin_allowed("null", "127.0.0.1:8080"));
}

TEST_CASE("cookies and sessions: the secret works once; the password when there is one") {
  CHECK(cookie_value("a=1; parley_80=tok; b=2", "parley_80") == "tok");
  CHECK(cookie_value("xparley_80=tok", "parley_80").empty());
  Sessions sessions("s3cret", "");
  CHECK(sessions.redeem_secret("wrong").empty());
  const auto token = sessions.redeem_secret("s3cret");
  CHECK_FALSE(token.empty());
  CHECK(sessions.valid(token));
  CHECK(sessions.redeem_secret("s3cret").empty());
  CHECK_FALSE(sessions.valid("forged"));
  CHECK(sessions.redeem_password("").empty());  // no password: that door is shut
  Sessions with_password("x", "pw");
  CHECK(with_password.redeem_password("nope").empty());
  CHECK(with_password.valid(with_password.redeem_password("pw")));
}

TEST_CASE("page commands become the shell's commands, with the shell's checks") {
  auto message = command_from_json("message", {{"to", {"bob", "carol"}}, {"text", "hi all"}});
  REQUIRE(message.command);
  const auto& m = std::get<cmd::Message>(*message.command);
  CHECK(m.to == std::vector<std::string>{"bob", "carol"});
  CHECK(m.text == "hi all");
  auto download = command_from_json("DOWNLOAD", {{"file", "a.bin"}, {"chunks", {1, 3}}});
  REQUIRE(download.command);
  CHECK(std::get<cmd::Download>(*download.command).chunks == std::vector<std::uint32_t>{1, 3});
  CHECK(command_from_json("history", nlohmann::json::object()).command);
  CHECK(std::get<cmd::History>(*command_from_json("history", {{"count", 5}}).command).count == 5);

  CHECK(command_from_json("mesage", nlohmann::json::object()).unknown);
  CHECK(command_from_json("message", {{"to", "bob"}}).error == "'text' is missing");
  CHECK(command_from_json("message", {{"to", "b@d"}, {"text", "x"}}).error.find("invalid name") !=
        std::string::npos);
  CHECK_FALSE(command_from_json("message", {{"to", "bob x"}, {"text", "x"}}).command);  // no smuggled words
  CHECK_FALSE(command_from_json("message", {{"to", "bob"}, {"text", "a\nlogout"}}).command);
  CHECK_FALSE(command_from_json("register", {{"file", "a"}, {"chunks", -1}}).command);
  CHECK_FALSE(command_from_json("block", nlohmann::json::array()).command);
}

TEST_CASE("own messages become lines of the conversation with their state") {
  ev::Sent sent{"id1", {"bob", "carol"}, "hi", false, 0, {}, "message", false};
  sent.results = {{"bob", wire::Status::ok}, {"carol", wire::Status::stored_offline}};
  auto objects = web_json(Event{sent});
  REQUIRE(objects.size() == 3);  // the line, then json_view's two confirmations
  CHECK(objects[0]["type"] == "message");
  CHECK(objects[0]["mine"] == true);
  CHECK(objects[0]["id"] == "id1");
  CHECK(objects[0]["state"] == "mixed");
  CHECK(objects[0]["states"]["carol"] == "stored");
  CHECK(sent_state({{"bob", wire::Status::ok}}) == "delivered");
  CHECK(sent_state({{"bob", wire::Status::blocked}}) == "refused");

  ev::Private direct{"alice", "bob", wire::PrivateText{}, true, false};
  direct.message.text = "psst";
  auto lines = web_json(Event{direct});
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["type"] == "private");
  CHECK(lines[0]["to"] == "bob");
  CHECK(lines[0]["text"] == "psst");
}

TEST_CASE("--web takes [HOST:]PORT; port 0 is any free one") {
  std::string host = "127.0.0.1", port;
  CHECK(split_web("8080", host, port).empty());
  CHECK(host == "127.0.0.1");
  CHECK(port == "8080");
  CHECK(split_web("0.0.0.0:0", host, port).empty());
  CHECK(host == "0.0.0.0");
  CHECK(port == "0");
  CHECK(split_web("[::1]:9000", host, port).empty());
  CHECK(host == "::1");
  CHECK_FALSE(split_web("host:", host, port).empty());
  CHECK_FALSE(split_web(":80", host, port).empty());
  CHECK_FALSE(split_web("70000", host, port).empty());
  CHECK_FALSE(split_web("[::1]", host, port).empty());
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("::1"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
}

TEST_CASE("the block list goes to the page whether or not the blocked command asked for it") {
  auto learned = web_json(Event{ev::Blocked{{"bob", "carol"}, false}});
  REQUIRE(learned.size() == 1);
  CHECK(learned[0]["type"] == "blocked");
  CHECK(learned[0]["users"] == nlohmann::json::array({"bob", "carol"}));
  auto answer = web_json(Event{ev::Blocked{{}, true}});
  REQUIRE(answer.size() == 1);  // json_view's answer, not a second copy
  CHECK(answer[0]["users"] == nlohmann::json::array());
  CHECK(
      std::holds_alternative<cmd::Blocked>(*command_from_json("blocked", nlohmann::json::object()).command));
}
