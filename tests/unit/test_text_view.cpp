#include <doctest/doctest.h>

#include <set>

#include "peer/shell/text_view.hpp"
#include "peer/shell/text_view_parts.hpp"

using namespace parley;
using namespace parley::peer;

namespace {

constexpr std::int64_t kNow = 1795287007123;

TextStyle plain() {
  TextStyle style;
  style.clock = [] { return kNow; };
  return style;
}

TextStyle colored() {
  TextStyle style = plain();
  style.color = true;
  return style;
}

// Each line without its leading "[time] ", so expectations do not depend on the zone.
std::string body(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.starts_with("[") && line.find("] ") != std::string::npos)
      line = line.substr(line.find("] ") + 2);
    out += (out.empty() && start == 0 ? "" : "\n") + line;
    start = end + 1;
  }
  return out;
}

std::string plain_body(const Event& e) { return body(render(e, plain())); }

ev::Sent sent_to(std::vector<std::string> to, std::vector<wire::RecipientResult> results) {
  return ev::Sent{"id", std::move(to), "hi", false, kNow, std::move(results), "message"};
}

}  // namespace

TEST_CASE("sizes, durations and chunk lists for people") {
  CHECK(text::human_bytes(0) == "0 B");
  CHECK(text::human_bytes(1023) == "1023 B");
  CHECK(text::human_bytes(1536) == "1.5 KiB");
  CHECK(text::human_bytes(256.0 * 1024 * 1024) == "256.0 MiB");
  CHECK(text::human_bytes(3.0 * 1024 * 1024 * 1024) == "3.0 GiB");
  CHECK(text::human_duration(5.6) == "6s");
  CHECK(text::human_duration(63) == "1m03s");
  CHECK(text::human_duration(3 * 3600 + 5 * 60) == "3h05m");
  CHECK(text::chunk_ranges({3, 1, 2, 7, 9, 10}) == "1-3, 7, 9-10");
  CHECK(text::chunk_ranges({4}) == "4");
  CHECK(text::chunk_ranges({}).empty());
}

TEST_CASE("the download progress bar: chunks, bytes, rate and time left") {
  DownloadView d;
  d.file = "movie.mkv";
  d.done = 16;
  d.total = 64;
  d.bytes = 64ull << 20;
  d.total_bytes = 256ull << 20;
  d.rate = 32.0 * 1024 * 1024;
  CHECK(text::progress_bar(d, 8) == "movie.mkv [##------] 16/64 64.0 MiB of 256.0 MiB 32.0 MiB/s ETA 6s");
  d.rate = 1024 * 1024;
  CHECK(text::progress_bar(d, 8).ends_with("ETA 3m12s"));
  d.rate = 0;  // nothing measured yet: no guess
  CHECK(text::progress_bar(d, 8).ends_with("0 B/s"));
  d.bytes = d.total_bytes;
  d.done = d.total;
  CHECK(text::progress_bar(d, 4).find("[####]") != std::string::npos);
  d.file = "evil\x1b[2J";  // another user's file name must not drive the terminal
  CHECK(text::progress_bar(d, 4).find('\x1b') == std::string::npos);
}

TEST_CASE("terminal columns: wide characters take two, a cut never splits one") {
  CHECK(text::display_width("hello") == 5);
  CHECK(text::display_width("h\xc3\xa9llo") == 5);              // é
  CHECK(text::display_width("\xe6\x97\xa5\xe6\x9c\xac") == 4);  // 日本
  CHECK(text::display_width("e\xcc\x81") == 1);                 // e + combining acute
  CHECK(text::display_width("\xff\xfe") == 2);                  // not UTF-8: one column a byte
  CHECK(text::fit_columns("hello", 5) == "hello");
  CHECK(text::fit_columns("hello world", 6) == "hello…");
  CHECK(text::fit_columns("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4) == "\xe6\x97\xa5…");  // 日本語 -> 日…
  CHECK(text::fit_columns("hello", 0).empty());
}

TEST_CASE("each user name has its own colour, the same every time") {
  CHECK(text::name_color("alice") == "96");  // FNV-1a: pinned so it survives refactoring
  CHECK(text::name_color("bob") == "92");
  CHECK(text::name_color("alice") == text::name_color(std::string("alice")));
  std::set<std::string_view> seen;
  for (int i = 0; i < 50; ++i) seen.insert(text::name_color("user" + std::to_string(i)));
  CHECK(seen.size() >= 6);
  CHECK_FALSE(seen.contains("31"));  // red is for errors

  const std::string alice = "\x1b[96malice\x1b[0m";
  CHECK(render(ev::Chat{{"id", "alice", {}, "hi", kNow, 0}, false}, colored()).find(alice) !=
        std::string::npos);
  CHECK(render(ev::Presence{{"alice", true, kNow}}, colored()).find(alice) != std::string::npos);
  CHECK(render(ev::Users{"whoelse", {{"alice", 0}}}, colored()).find(alice) != std::string::npos);
}

TEST_CASE("no colour codes at all when colour is off") {
  const std::vector<Event> events = {
      ev::LoggedIn{"alice", "127.0.0.1:1", "ab"},
      ev::Chat{{"id", "alice", {"bob"}, "hi", kNow, 1}, false},
      sent_to({"bob"}, {{"bob", wire::Status::ok}}),
      ev::Private{"bob", "alice", {"id", "hi", kNow}, false, true},
      ev::Error{"x", "bad"},
      ev::Users{"whoelsesince", {{"alice", kNow - 1000}}},
      ev::IdleWarning{30},
  };
  for (const auto& e : events) CHECK(render(e, plain()).find('\x1b') == std::string::npos);
}

TEST_CASE("our own messages: the line at once, then notes of what became of it") {
  ev::Sent pending = sent_to({"bob"}, {});
  pending.pending = true;
  CHECK(plain_body(pending) == "you → bob: hi …");
  CHECK(render(pending, colored()).find("\x1b[2m…\x1b[0m") != std::string::npos);  // the mark is dim
  CHECK(plain_body(sent_to({"bob"}, {{"bob", wire::Status::ok}})) == "✓ delivered to bob");
  CHECK(plain_body(sent_to({"bob"}, {{"bob", wire::Status::stored_offline}})) ==
        "stored for bob (not on their device yet)");
  CHECK(plain_body(sent_to({"bob"}, {{"bob", wire::Status::blocked}})) ==
        "not sent: bob has blocked you; message not delivered");
  CHECK(plain_body(sent_to({"bob"}, {{"bob", wire::Status::rate_limited}})) ==
        "not sent: bob is offline with too many messages waiting (for them, or from you); try again once "
        "they have read some");
  CHECK(plain_body(sent_to({"bob", "carol", "zed"}, {{"bob", wire::Status::ok},
                                                     {"carol", wire::Status::stored_offline},
                                                     {"zed", wire::Status::unknown_user}})) ==
        "✓ delivered to bob; stored for carol (not on their device yet); not sent: unknown user 'zed'");
  // News about a line shown long before (from the outbox, or a receipt) quotes it.
  ev::Sent resent = sent_to({"bob"}, {{"bob", wire::Status::stored_offline}});
  resent.resent = true;
  CHECK(plain_body(resent) == "stored for bob (not on their device yet) (\"hi\")");
  CHECK(plain_body(ev::Receipt{"id", "bob", "delivered", "hi"}) == "✓ delivered to bob (\"hi\")");
  CHECK(plain_body(ev::Receipt{"id", "bob", "delivered", ""}) == "✓ delivered to bob");
  CHECK(plain_body(ev::Receipt{"id", "bob", "delivered", std::string(60, 'x')}) ==
        "✓ delivered to bob (\"" + std::string(39, 'x') + "…\")");
  ev::Sent unanswered = sent_to({"bob"}, {});
  unanswered.queued = true;
  unanswered.resent = true;
  CHECK(plain_body(unanswered) ==
        "no answer from the server: queued, it goes out again when the server is back (\"hi\")");
  CHECK(plain_body(ev::BroadcastSent{"id", "hello all", false, 3, false}) ==
        "[all] you: hello all (broadcast sent to 3 users)");
  CHECK(plain_body(ev::BroadcastSent{"id", "hello all", false, 1, true}) ==
        "[all] you: hello all (broadcast sent to 1 user; some online users did not receive it)");
  CHECK(plain_body(ev::Private{"alice", "bob", {"id", "psst", kNow}, true, false}) ==
        "[direct] you → bob: psst");
  CHECK(plain_body(ev::Private{"bob", "alice", {"id", "psst", kNow}, false, false}) == "[direct] bob: psst");
}

TEST_CASE("/me actions read as actions, ours and theirs") {
  TextStyle style = plain();
  style.self = "alice";
  ev::Sent sent = sent_to({"bob"}, {});
  sent.text = "waves";
  sent.action = true;
  sent.pending = true;
  CHECK(body(render(sent, style)) == "* alice waves (to bob) …");
  CHECK(plain_body(sent) == "* you waves (to bob) …");  // before we know our name
  CHECK(plain_body(ev::Chat{{"id", "bob", {}, "waves", kNow, 0}, true}) == "* bob waves");
  CHECK(plain_body(ev::Chat{{"id", "bob", {"alice", "carol"}, "waves", kNow, 0}, true}) ==
        "* bob waves (to alice, carol)");
  CHECK(plain_body(ev::Broadcast{{"id", "bob", "waves", kNow}, true}) == "[all] * bob waves");
  CHECK(plain_body(ev::Private{"bob", "alice", {"id", "waves", kNow}, false, true}) ==
        "[direct] * bob waves");
  CHECK(body(render(ev::Private{"alice", "bob", {"id", "waves", kNow}, true, true}, style)) ==
        "[direct] * alice waves (to bob)");
  CHECK(body(render(ev::BroadcastSent{"id", "waves", true, 2, false}, style)) ==
        "[all] * alice waves (broadcast sent to 2 users)");
}

TEST_CASE("incoming messages: groups, offline, escaped, and a bell when asked") {
  CHECK(plain_body(ev::Chat{{"id", "bob", {}, "hi", kNow, 0}, false}) == "bob: hi");
  CHECK(plain_body(ev::Chat{{"id", "bob", {"alice", "carol"}, "hi", kNow, 4, true}, false}) ==
        "bob (to alice, carol) (while you were away): hi");
  CHECK(plain_body(ev::Chat{{"id", "bob", {}, "\x1b[2Jgotcha\x07", kNow, 0}, false}) ==
        "bob: \\x1b[2Jgotcha\\x07");
  TextStyle bell = plain();
  bell.bell = true;
  CHECK(render(ev::Chat{{"id", "bob", {}, "hi", kNow, 0}, false}, bell).ends_with("\a"));
  CHECK(render(ev::Private{"bob", "alice", {"id", "hi", kNow}, false, false}, bell).ends_with("\a"));
  CHECK_FALSE(
      render(ev::Chat{{"id", "bob", {}, "hi", kNow, 3, true}, false}, bell).ends_with("\a"));  // stored
  CHECK_FALSE(render(ev::Private{"alice", "bob", {"id", "hi", kNow}, true, false}, bell).ends_with("\a"));
  CHECK(render(ev::Chat{{"id", "bob", {}, "hi", kNow, 0}, false}, plain()).find('\a') == std::string::npos);
}

TEST_CASE("logging out says it once, and how to come back") {
  CHECK(plain_body(ev::LoggedOut{"logged out", false}) == "logged out");
  CHECK(plain_body(ev::LoggedOut{"", false}) == "logged out");
  CHECK(plain_body(ev::LoggedOut{"connection lost", false}) == "logged out: connection lost");
  CHECK(plain_body(ev::LoggedOut{"logged out after 4 s of inactivity", true}) ==
        "logged out after 4 s of inactivity — press Enter or type login to log back in");
  CHECK(plain_body(ev::IdleWarning{30}) == "you will be logged out in 30 s; press Enter to stay");
}

TEST_CASE("session lines") {
  CHECK(plain_body(ev::LoggedIn{"alice", "127.0.0.1:4000", "abcd"}) ==
        "logged in as alice. Type help for commands.\ndirect links: listening on 127.0.0.1:4000 as ab:cd");
  CHECK(plain_body(ev::Link{"bob", true, "opened by you", "abcd"}) ==
        "private link with bob open (opened by you)\nbob's certificate fingerprint: ab:cd");
  CHECK(plain_body(ev::Link{"bob", false, "closed by bob", ""}) ==
        "private link with bob closed: closed by bob");
  CHECK(plain_body(ev::Fingerprint{"alice", "abcd", true}) == "your certificate fingerprint: ab:cd");
  CHECK(plain_body(ev::Fingerprint{"bob", "abcd", false}) == "bob's certificate fingerprint: ab:cd");
  CHECK(plain_body(ev::Error{"message", "no such user"}) == "error: no such user");
  CHECK(plain_body(ev::Pong{1.26}) == "pong from the server: 1.3 ms");
  CHECK(render(ev::Help{"usage:\n  help"}, plain()) == "usage:\n  help");
}

TEST_CASE("whoelsesince shows when each user was last seen") {
  const std::int64_t earlier = kNow - 60'000;
  const std::string when = text::local_time(earlier, "%H:%M:%S");
  CHECK(plain_body(ev::Users{"whoelsesince", {{"bob", 0}, {"carol", earlier}}}) ==
        "whoelsesince: bob, carol (last seen " + when + ")");
  const std::int64_t long_ago = kNow - 3 * 86'400'000LL;
  CHECK(plain_body(ev::Users{"whoelsesince", {{"carol", long_ago}}}) ==
        "whoelsesince: carol (last seen " + text::local_time(long_ago, "%Y-%m-%d %H:%M") + ")");
  CHECK(plain_body(ev::Users{"whoelse", {{"bob", 0}, {"carol", 0}}}) == "whoelse: bob, carol");
  CHECK(plain_body(ev::Users{"whoelse", {}}) == "whoelse: nobody");
}

TEST_CASE("text: a queued message says it waits for the server") {
  ev::Sent queued{"id", {"bob"}, "later", false, kNow, {}, "message", true};
  CHECK(plain_body(queued) == "you → bob: later (queued: it goes out when the server is back)");
}

TEST_CASE("text: history lines carry the date, who, and our own lines' state") {
  ev::History history{
      "bob",
      {StoredMessage{1, "a", "message", "bob", {"alice"}, "hi", false, false, kNow, "received", {}},
       StoredMessage{2, "b", "message", "alice", {"bob"}, "hey", false, true, kNow, "delivered", {}}}};
  const std::string text = render(history, plain());
  CHECK(text.find("bob: hi") != std::string::npos);
  CHECK(text.find("you → bob: hey (delivered)") != std::string::npos);
  CHECK(text.find('\n') != std::string::npos);  // one line each
}

TEST_CASE("text: blocked lists whom you blocked; the list learned at login prints nothing") {
  CHECK(plain_body(ev::Blocked{{"bob", "carol"}, true}) == "blocked: bob, carol");
  CHECK(plain_body(ev::Blocked{{}, true}) == "blocked: nobody");
  CHECK(render(ev::Blocked{{"bob"}, false}, plain()).empty());
}
