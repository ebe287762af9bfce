#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "peer/commands.hpp"
#include "shared/wire/limits.hpp"

using namespace parley::peer;

namespace {

template <typename T>
T parse_as(std::string_view line) {
  INFO("line: ", line);
  const ParseResult result = parse_command(line);
  REQUIRE_FALSE(result.empty);
  REQUIRE_MESSAGE(result.command.has_value(), result.error.message);
  REQUIRE(std::holds_alternative<T>(*result.command));
  return std::get<T>(*result.command);
}

ParseError parse_error(std::string_view line) {
  INFO("line: ", line);
  const ParseResult result = parse_command(line);
  REQUIRE_FALSE(result.empty);
  REQUIRE_FALSE(result.command.has_value());
  return result.error;
}

std::string names(int count, std::string_view prefix = "u") {
  std::string list;
  for (int i = 0; i < count; ++i) {
    if (i > 0) list += ',';
    list += std::string(prefix) + std::to_string(i);
  }
  return list;
}

const std::string kMessageUsage = "usage: message <user>[,<user>...] <text>";

}  // namespace

TEST_CASE("blank lines are empty, not errors") {
  for (std::string_view line : {"", " ", "\t", "  \t \r\n"}) {
    INFO("line: '", line, "'");
    const ParseResult result = parse_command(line);
    CHECK(result.empty);
    CHECK_FALSE(result.command.has_value());
    CHECK(result.error.message.empty());
  }
  CHECK_FALSE(parse_command("whoelse").empty);
  CHECK_FALSE(parse_command("nonsense").empty);
}

TEST_CASE("message: single recipient, with and without slash") {
  for (std::string_view line : {"message alice hello", "/message alice hello", "  message alice hello  ",
                                "\t/message\talice\thello\t"}) {
    const auto m = parse_as<cmd::Message>(line);
    CHECK(m.to == std::vector<std::string>{"alice"});
    CHECK(m.text == "hello");
  }
}

TEST_CASE("message: text is kept verbatim") {
  const auto m = parse_as<cmd::Message>("message bob   hi  there,   how  are you?  ");
  CHECK(m.to == std::vector<std::string>{"bob"});
  CHECK(m.text == "hi  there,   how  are you?");

  const auto tabs = parse_as<cmd::Message>("message bob a\t\tb");
  CHECK(tabs.text == "a\t\tb");

  // Looks like recipients or commands, but after the first token it is all text.
  const auto tricky = parse_as<cmd::Message>("message bob carol,dave /logout");
  CHECK(tricky.to == std::vector<std::string>{"bob"});
  CHECK(tricky.text == "carol,dave /logout");

  const auto utf8 = parse_as<cmd::Message>("message bob h\xc3\xa9llo w\xc3\xb6rld");
  CHECK(utf8.text == "h\xc3\xa9llo w\xc3\xb6rld");
}

TEST_CASE("message: groups keep order and collapse duplicates") {
  const auto m = parse_as<cmd::Message>("message carol,alice,bob hi all");
  CHECK(m.to == std::vector<std::string>{"carol", "alice", "bob"});
  CHECK(m.text == "hi all");

  const auto dup = parse_as<cmd::Message>("/message bob,alice,bob,alice,carol,bob yo");
  CHECK(dup.to == std::vector<std::string>{"bob", "alice", "carol"});

  // Names are case-sensitive, so these are two different users.
  const auto cased = parse_as<cmd::Message>("message Bob,bob x");
  CHECK(cased.to == std::vector<std::string>{"Bob", "bob"});

  const auto odd = parse_as<cmd::Message>("message a.b,c-d,e_f,G9 x");
  CHECK(odd.to == std::vector<std::string>{"a.b", "c-d", "e_f", "G9"});
}

TEST_CASE("message: recipient limits") {
  const auto max = static_cast<int>(parley::wire::kMaxRecipients);
  CHECK(parse_as<cmd::Message>("message " + names(max) + " hi").to.size() == 32);

  const auto too_many = parse_error("message " + names(max + 1) + " hi");
  CHECK(too_many.command == "message");
  CHECK(too_many.message == "too many recipients (max 32)");

  // The limit counts distinct people, not how often they were typed.
  const auto repeated = parse_as<cmd::Message>("message " + names(max) + "," + names(max) + " hi");
  CHECK(repeated.to.size() == 32);

  const std::string longest(parley::wire::kMaxUsername, 'a');
  CHECK(parse_as<cmd::Message>("message " + longest + " hi").to.front() == longest);
  CHECK(parse_error("message " + longest + "a hi").message == "invalid name '" + longest + "a'");
}

TEST_CASE("message: errors") {
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases{
      {"message", kMessageUsage},
      {"/message   ", kMessageUsage},
      {"message alice", "message text is empty"},
      {"message alice    ", "message text is empty"},
      {"/message alice,bob", "message text is empty"},
      {"message x! hi", "invalid name 'x!'"},
      {"message alice,x! hi", "invalid name 'x!'"},
      {"message al/ice hi", "invalid name 'al/ice'"},
      {"message a,,b hi", "empty user name in 'a,,b' (separate names with commas, no spaces)"},
      {"message a, b hi", "empty user name in 'a,' (separate names with commas, no spaces)"},
      {"message ,a hi", "empty user name in ',a' (separate names with commas, no spaces)"},
      {"message , hi", "empty user name in ',' (separate names with commas, no spaces)"},
  };
  for (const auto& c : cases) {
    INFO("line: ", c.line);
    const auto error = parse_error(c.line);
    CHECK(error.command == "message");
    CHECK(error.message == c.message);
  }
}

TEST_CASE("text length limit is in bytes") {
  const std::string max_text(parley::wire::kMaxText, 'x');
  CHECK(parse_as<cmd::Message>("message bob " + max_text).text.size() == 4096);
  CHECK(parse_as<cmd::Broadcast>("broadcast " + max_text).text.size() == 4096);

  CHECK(parse_error("message bob " + max_text + "y").message == "message too long (max 4096 bytes)");
  CHECK(parse_error("broadcast " + max_text + "y").message == "message too long (max 4096 bytes)");

  // 2048 two-byte characters are 4096 bytes; one more is over, though only 2049 characters.
  std::string wide;
  for (int i = 0; i < 2048; ++i) wide += "\xc3\xa9";
  CHECK(parse_as<cmd::Broadcast>("broadcast " + wide).text == wide);
  CHECK(parse_error("broadcast " + wide + "\xc3\xa9").message == "message too long (max 4096 bytes)");
}

TEST_CASE("broadcast") {
  CHECK(parse_as<cmd::Broadcast>("broadcast hello  world").text == "hello  world");
  CHECK(parse_as<cmd::Broadcast>("/broadcast   hello  world  ").text == "hello  world");
  CHECK(parse_as<cmd::Broadcast>("broadcast message bob hi").text == "message bob hi");

  for (std::string_view line : {"broadcast", "/broadcast  "}) {
    const auto error = parse_error(line);
    CHECK(error.command == "broadcast");
    CHECK(error.message == "usage: broadcast <text>");
  }
}

TEST_CASE("whoelse") {
  parse_as<cmd::WhoElse>("whoelse");
  parse_as<cmd::WhoElse>("/whoelse");
  parse_as<cmd::WhoElse>("  /whoelse \t");

  for (std::string_view line : {"whoelse now", "/whoelse 10"}) {
    const auto error = parse_error(line);
    CHECK(error.command == "whoelse");
    CHECK(error.message == "usage: whoelse");
  }
}

TEST_CASE("whoelsesince") {
  CHECK(parse_as<cmd::WhoElseSince>("whoelsesince 0").seconds == 0);
  CHECK(parse_as<cmd::WhoElseSince>("/whoelsesince 300").seconds == 300);
  CHECK(parse_as<cmd::WhoElseSince>("whoelsesince   007  ").seconds == 7);
  CHECK(parse_as<cmd::WhoElseSince>("whoelsesince 9223372036854775807").seconds ==
        std::numeric_limits<std::int64_t>::max());

  for (std::string_view arg :
       {"-1", "+5", "1e3", "abc", "12abc", "3.5", "0x10", "99999999999999999999", "9223372036854775808"}) {
    INFO("arg: ", arg);
    const auto error = parse_error("whoelsesince " + std::string(arg));
    CHECK(error.command == "whoelsesince");
    CHECK(error.message == "whoelsesince: '" + std::string(arg) + "' is not a number of seconds");
  }

  for (std::string_view line : {"whoelsesince", "/whoelsesince  ", "whoelsesince 5 6"}) {
    const auto error = parse_error(line);
    CHECK(error.command == "whoelsesince");
    CHECK(error.message == "usage: whoelsesince <seconds>");
  }
}

TEST_CASE("block and unblock") {
  CHECK(parse_as<cmd::Block>("block mallory").user == "mallory");
  CHECK(parse_as<cmd::Block>("/block  mallory ").user == "mallory");
  CHECK(parse_as<cmd::Unblock>("unblock mallory").user == "mallory");
  CHECK(parse_as<cmd::Unblock>("/unblock mallory").user == "mallory");
  parse_as<cmd::Blocked>("blocked");
  parse_as<cmd::Blocked>("/BLOCKED");
  CHECK(parse_error("blocked mallory").command == "blocked");

  for (std::string_view name : {"block", "unblock"}) {
    const std::string n(name);
    for (const std::string& line : {n, "/" + n, n + " a b", n + " alice bob"}) {
      const auto error = parse_error(line);
      CHECK(error.command == n);
      CHECK(error.message == "usage: " + n + " <user>");
    }
    const auto invalid = parse_error(n + " x!");
    CHECK(invalid.command == n);
    CHECK(invalid.message == "invalid name 'x!'");
    // A block list is per person: a comma list is not a name.
    CHECK(parse_error(n + " a,b").message == n + " takes one user");
  }
}

TEST_CASE("logout") {
  parse_as<cmd::Logout>("logout");
  parse_as<cmd::Logout>("/logout");
  const auto error = parse_error("logout now");
  CHECK(error.command == "logout");
  CHECK(error.message == "usage: logout");
}

TEST_CASE("help and help topics") {
  CHECK(parse_as<cmd::Help>("help").topic.empty());
  CHECK(parse_as<cmd::Help>("/help").topic.empty());
  CHECK(parse_as<cmd::Help>("help message").topic == "message");
  CHECK(parse_as<cmd::Help>("help /whoelse").topic == "whoelse");
  CHECK(parse_as<cmd::Help>("/help  whoelsesince ").topic == "whoelsesince");
  CHECK(parse_as<cmd::Help>("help help").topic == "help");

  const auto typo = parse_error("help mesage");
  CHECK(typo.command == "help");
  CHECK(typo.message == "help: unknown command 'mesage' (did you mean message?)");

  const auto slash_typo = parse_error("help /blok");
  CHECK(slash_typo.message == "help: unknown command 'blok' (did you mean block?)");

  const auto unknown = parse_error("help xyz");
  CHECK(unknown.command == "help");
  CHECK(unknown.message == "help: unknown command 'xyz' (type help for a list)");

  const auto extra = parse_error("help message block");
  CHECK(extra.command == "help");
  CHECK(extra.message == "usage: help [command]");
}

TEST_CASE("every command parses with and without slash or is recognized") {
  // Aliases are reported as the command they stand for (errors name that command).
  const std::map<std::string, std::string> alias_of = {
      {"all", "broadcast"}, {"whisper", "message"}, {"disconnect", "logout"}, {"quit", "logout"}};
  for (const std::string& name : command_names()) {
    const std::string canonical = alias_of.contains(name) ? alias_of.at(name) : name;
    for (const std::string& line : {name, "/" + name}) {
      INFO("line: ", line);
      const ParseResult result = parse_command(line);
      if (result.command) {
        CHECK(command_name(*result.command) == canonical);
      } else {
        // Commands that need arguments still know which command they were.
        CHECK(result.error.command == canonical);
        CHECK(result.error.message.rfind("usage: " + name, 0) == 0);
      }
    }
  }
}

TEST_CASE("unknown commands suggest the closest one") {
  struct Case {
    std::string line;
    std::string word;
    std::string message;
  };
  const std::vector<Case> cases{
      {"mesage alice hi", "mesage", "unknown command 'mesage' (did you mean message?)"},
      {"/mesage alice hi", "mesage", "unknown command 'mesage' (did you mean message?)"},
      {"whoels", "whoels", "unknown command 'whoels' (did you mean whoelse?)"},
      {"brodcast hi", "brodcast", "unknown command 'brodcast' (did you mean broadcast?)"},
      {"blok bob", "blok", "unknown command 'blok' (did you mean block?)"},
      {"unbl bob", "unbl", "unknown command 'unbl' (did you mean unblock?)"},
      {"WhoEls", "WhoEls", "unknown command 'WhoEls' (did you mean whoelse?)"},
      {"xyz", "xyz", "unknown command 'xyz' (type help for a list)"},
      {"/xyz 1 2", "xyz", "unknown command 'xyz' (type help for a list)"},
      {"who", "who", "unknown command 'who' (type help for a list)"},
      {"//message bob hi", "/message", "unknown command '/message' (did you mean message?)"},
  };
  for (const auto& c : cases) {
    INFO("line: ", c.line);
    const auto error = parse_error(c.line);
    CHECK(error.command == c.word);
    CHECK(error.message == c.message);
  }

  const auto slash_only = parse_error("/");
  CHECK(slash_only.command.empty());
  CHECK(slash_only.message == "missing command after '/' (type help for a list)");
}

TEST_CASE("closest_command") {
  CHECK(closest_command("mesage") == "message");
  CHECK(closest_command("whoels") == "whoelse");
  CHECK(closest_command("brodcast") == "broadcast");
  CHECK(closest_command("blok") == "block");
  CHECK(closest_command("/blok") == "block");
  CHECK(closest_command("MESSAGE") == "message");
  CHECK(closest_command("Logout") == "logout");
  CHECK(closest_command("whoelsesinc") == "whoelsesince");
  // A swapped pair is one edit; plain Levenshtein would need two, over the limit of 1 for 5 letters.
  CHECK(closest_command("bolck") == "block");
  CHECK(closest_command("lgoout") == "logout");

  // Unique prefixes, too far for edit distance.
  CHECK(closest_command("unbl") == "unblock");
  CHECK(closest_command("broa") == "broadcast");
  // Being typed out exactly beats being one letter off another command.
  CHECK(closest_command("whoelses") == "whoelsesince");
  CHECK(closest_command("whoelsesi") == "whoelsesince");

  // Ambiguous prefixes and distant words suggest nothing.
  CHECK_FALSE(closest_command("who").has_value());  // whoelse or whoelsesince
  CHECK(closest_command("WHOELSE") == "whoelse");   // a prefix of both, but an exact match
  CHECK_FALSE(closest_command("b").has_value());    // block or broadcast
  CHECK_FALSE(closest_command("xyz").has_value());
  CHECK_FALSE(closest_command("zzzzzzzz").has_value());
  CHECK_FALSE(closest_command("").has_value());
  CHECK_FALSE(closest_command("/").has_value());
  CHECK_FALSE(closest_command("hlpxx").has_value());  // distance 3 from help, limit is 1
}

TEST_CASE("command_name covers every alternative") {
  CHECK(command_name(cmd::Message{}) == "message");
  CHECK(command_name(cmd::Broadcast{}) == "broadcast");
  CHECK(command_name(cmd::WhoElse{}) == "whoelse");
  CHECK(command_name(cmd::WhoElseSince{}) == "whoelsesince");
  CHECK(command_name(cmd::Block{}) == "block");
  CHECK(command_name(cmd::Unblock{}) == "unblock");
  CHECK(command_name(cmd::Logout{}) == "logout");
  CHECK(command_name(cmd::Help{}) == "help");
}

TEST_CASE("command_names lists every command once") {
  const auto& all = command_names();
  for (std::string_view name :
       {"message", "broadcast", "whoelse", "whoelsesince", "block", "unblock", "logout", "help"}) {
    CHECK(std::count(all.begin(), all.end(), name) == 1);
  }
  for (const auto& name : all) {
    CHECK_FALSE(name.empty());
    CHECK(name.front() != '/');
  }
}

TEST_CASE("usage") {
  CHECK(usage("message") == "message <user>[,<user>...] <text>  — send a private or group message");
  CHECK(usage("/message") == usage("message"));
  CHECK(usage("whoelse") == "whoelse  — list the other users online now");
  CHECK(usage("whoelsesince").rfind("whoelsesince <seconds>  — ", 0) == 0);
  CHECK(usage("block").rfind("block <user>  — ", 0) == 0);
  CHECK(usage("help").rfind("help [command]  — ", 0) == 0);
  CHECK(usage("nosuch").empty());
  CHECK(usage("Message") == usage("message"));
}

TEST_CASE("help_text lists every command and the keys, within 80 columns") {
  const std::string text = help_text();
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (const auto& line : lines) {
    INFO("line: ", line);
    // Columns, not bytes: the only non-ASCII text is one code point per column.
    const auto columns = std::count_if(line.begin(), line.end(), [](char c) { return (c & 0xC0) != 0x80; });
    CHECK(columns <= 80);
    CHECK(line.find_last_not_of(' ') == line.size() - 1);  // no trailing spaces
  }
  for (const std::string& name : command_names()) {
    INFO("command: ", name);
    const std::string syntax = usage(name).substr(0, usage(name).find("  — "));
    const bool listed = std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.rfind("  " + syntax.substr(0, syntax.find('\n')), 0) == 0;
    });
    CHECK(listed);
  }
  // Descriptions start in one column, under a syntax too long to leave room for them.
  auto line_with = [&](std::string_view part) {
    const auto it = std::find_if(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.find(part) != std::string::npos;
    });
    REQUIRE(it != lines.end());
    return *it;
  };
  CHECK(line_with("send a private or group message").find("send") == 28);
  CHECK(line_with("  whisper <user> <text>").find("the same as message") == 28);
  CHECK(line_with("  broadcast <text>").find("send a message") == 28);
  for (std::string_view key : {"Tab", "Up", "Ctrl-R", "Ctrl-D"}) CHECK(text.find(key) != std::string::npos);
  CHECK(text.find("message <user>[,<user>...] <text>") != std::string::npos);
  CHECK(text.back() != '\n');
}

TEST_CASE("usage of one command fits 80 columns") {
  for (const std::string& name : command_names()) {
    const std::string u = usage(name);
    INFO("usage: ", u);
    REQUIRE_FALSE(u.empty());
    CHECK(u.rfind(name, 0) == 0);
    std::istringstream in(u);
    for (std::string line; std::getline(in, line);) {
      CHECK(std::count_if(line.begin(), line.end(), [](char c) { return (c & 0xC0) != 0x80; }) <= 80);
    }
  }
  // Too long for one line: the syntax, then the description indented.
  CHECK(usage("searchChunk") ==
        "searchChunk <file> <chunk> [<chunk> ...]\n    who online has these chunks (numbered from 1)");
}

TEST_CASE("direct-link commands") {
  using namespace parley::peer;
  auto ok = [](std::string_view line) {
    auto r = parse_command(line);
    REQUIRE(r.command);
    return *r.command;
  };
  auto error = [](std::string_view line) {
    auto r = parse_command(line);
    REQUIRE_FALSE(r.command);
    return r.error;
  };
  CHECK(std::get<cmd::StartPrivate>(ok("startprivate bob")).user == "bob");
  CHECK(std::get<cmd::StartPrivate>(ok("/startprivate bob")).user == "bob");
  auto p = std::get<cmd::Private>(ok("private bob  hello   there "));
  CHECK(p.user == "bob");
  CHECK(p.text == "hello   there");
  CHECK(std::get<cmd::StopPrivate>(ok("stopprivate bob")).user == "bob");
  CHECK(std::get<cmd::Reply>(ok("/reply sure, see you")).text == "sure, see you");

  CHECK(error("startprivate").message == "usage: startprivate <user>");
  CHECK(error("startprivate bob carol").message == "usage: startprivate <user>");
  CHECK(error("private bob").message == "usage: private <user> <text>");
  CHECK(error("private bob,carol hi").message == "private takes one user");
  CHECK(error("stopprivate").command == "stopprivate");
  CHECK(error("reply").message == "usage: reply <text>");
  CHECK(error("startprivte bob").message.find("did you mean startprivate") != std::string::npos);
  CHECK(usage("private").find("private <user> <text>") == 0);
}

TEST_CASE("download and downloads") {
  auto whole = parse_as<cmd::Download>("download movie.mkv");
  CHECK(whole.file == "movie.mkv");
  CHECK(whole.chunks.empty());  // the whole file
  auto some = parse_as<cmd::Download>("/download movie.mkv 3 1 3");
  CHECK(some.chunks == std::vector<std::uint32_t>{3, 1});  // as typed, duplicates dropped
  parse_as<cmd::Downloads>("downloads");
  CHECK(parse_error("download").message == "usage: download <file> [<chunk> ...]");
  CHECK(parse_error("download movie.mkv x").message == "download: 'x' is not a whole number");
  CHECK(parse_error("download movie.mkv -1").message == "download: '-1' is not a whole number");
  CHECK(parse_error("downloads now").message == "usage: downloads");
  CHECK(command_name(cmd::Download{}) == "download");
  CHECK(command_name(cmd::Downloads{}) == "downloads");
}

TEST_CASE("slash aliases stand for their commands, with the same checks") {
  auto all = parse_as<cmd::Broadcast>("/all hello everyone");
  CHECK(all.text == "hello everyone");
  auto whisper = parse_as<cmd::Message>("/whisper bob psst");
  CHECK(whisper.to == std::vector<std::string>{"bob"});
  CHECK(whisper.text == "psst");
  parse_as<cmd::Users>("/users");
  parse_as<cmd::Logout>("/disconnect");
  parse_as<cmd::Logout>("/quit");
  parse_as<cmd::Ping>("/ping");
  parse_as<cmd::Help>("/help");
  CHECK(parse_as<cmd::Reply>("/reply ok").text == "ok");
  CHECK(parse_error("/all").message == "usage: all <text>");
  CHECK(parse_error("/all    ").message == "usage: all <text>");
  CHECK(parse_error("/whisper bob").message == "usage: whisper <user> <text>");
  CHECK(parse_error("/whisper b@d hi").message == "invalid name 'b@d'");
  // The issue's wording: whisper is the one-user form of message.
  const auto group = parse_error("/whisper bob,carol hi");
  CHECK(group.command == "message");
  CHECK(group.message == "whisper takes one user; use message for a group");
  CHECK(
      parse_error("/whisper bob " + std::string(parley::wire::kMaxText + 1, 'x')).message.find("too long") !=
      std::string::npos);
  CHECK(parse_error("/quit now").message == "usage: quit");
  CHECK(parse_error("/ping 3").message == "usage: ping");
  CHECK(parse_error("/users x").message == "usage: users");
  CHECK(command_name(cmd::Ping{}) == "ping");
  CHECK(command_name(cmd::Users{}) == "users");
}

TEST_CASE("command names are case-insensitive; canonical names keep their case") {
  CHECK(parse_as<cmd::SearchFile>("searchfile song.mp3").file == "song.mp3");
  CHECK(parse_as<cmd::SearchFile>("SEARCHFILE song.mp3").file == "song.mp3");
  CHECK(parse_as<cmd::SearchChunk>("/SearchChunk f 2").chunks == std::vector<std::uint32_t>{2});
  CHECK(parse_as<cmd::Message>("/Whisper bob hi").to == std::vector<std::string>{"bob"});
  parse_as<cmd::WhoElse>("WhoElse");
  parse_as<cmd::Logout>("QUIT");
  // Arguments keep their case: names and files are case-sensitive.
  CHECK(parse_as<cmd::Message>("MESSAGE Bob Hi").to == std::vector<std::string>{"Bob"});
  CHECK(parse_as<cmd::Download>("Download Movie.MKV").file == "Movie.MKV");
  // Errors name the canonical command, and usage shows its canonical spelling.
  const auto error = parse_error("SEARCHFILE");
  CHECK(error.command == "searchFile");
  CHECK(error.message == "usage: searchFile <file>");
  CHECK(command_name(parse_as<cmd::SearchFile>("searchfile x")) == "searchFile");
  CHECK(parse_as<cmd::Help>("help SEARCHFILE").topic == "searchFile");
  CHECK(usage("SEARCHCHUNK") == usage("searchChunk"));
  CHECK(closest_command("searchfil") == "searchFile");
}

TEST_CASE("new commands: wait, reconnect, login, uploads, fingerprint, me") {
  parse_as<cmd::Wait>("wait");
  parse_as<cmd::Reconnect>("/reconnect");
  parse_as<cmd::Login>("login");
  parse_as<cmd::Uploads>("uploads");
  CHECK(parse_as<cmd::Fingerprint>("fingerprint").user.empty());  // your own
  CHECK(parse_as<cmd::Fingerprint>("/fingerprint bob").user == "bob");
  CHECK(parse_as<cmd::Me>("/me waves  at you ").text == "waves  at you");
  CHECK(parse_as<cmd::Me>("me waves").text == "waves");

  CHECK(parse_error("wait 5").message == "usage: wait");
  CHECK(parse_error("reconnect now").message == "usage: reconnect");
  CHECK(parse_error("login alice").message == "usage: login");
  CHECK(parse_error("uploads x").message == "usage: uploads");
  CHECK(parse_error("fingerprint bob carol").message == "usage: fingerprint [user]");
  CHECK(parse_error("fingerprint b@d").message == "invalid name 'b@d'");
  CHECK(parse_error("fingerprint bob,carol").message == "fingerprint takes one user");
  CHECK(parse_error("/me").message == "usage: me <action>");
  CHECK(parse_error("/me " + std::string(parley::wire::kMaxText + 1, 'x')).message ==
        "message too long (max 4096 bytes)");

  CHECK(command_name(cmd::Wait{}) == "wait");
  CHECK(command_name(cmd::Reconnect{}) == "reconnect");
  CHECK(command_name(cmd::Login{}) == "login");
  CHECK(command_name(cmd::Uploads{}) == "uploads");
  CHECK(command_name(cmd::Fingerprint{}) == "fingerprint");
  CHECK(command_name(cmd::Me{}) == "me");
  for (std::string_view name : {"wait", "reconnect", "login", "uploads", "fingerprint", "me"}) {
    CHECK_FALSE(usage(name).empty());
    CHECK(help_text().find("  " + std::string(name)) != std::string::npos);
  }
}

TEST_CASE("a name the server could never accept is invalid, not unknown") {
  for (std::string_view line : {"message b@d hi", "/whisper b@d hi", "block b@d", "startprivate b@d",
                                "private b@d hi", "stopprivate b@d", "fingerprint b@d", "unblock b@d"}) {
    INFO("line: ", line);
    CHECK(parse_error(line).message == "invalid name 'b@d'");
  }
  const std::string too_long(parley::wire::kMaxUsername + 1, 'a');
  CHECK(parse_error("block " + too_long).message == "invalid name '" + too_long + "'");
}

TEST_CASE("completion_kind: what the word at the cursor completes to") {
  using K = CompletionKind;
  struct Case {
    std::string_view before;
    CompletionKind kind;
  };
  const std::vector<Case> cases{
      // The first word is a command, with or without '/', in any case.
      {"", K::kCommand},
      {"   ", K::kCommand},
      {"mes", K::kCommand},
      {"/wh", K::kCommand},
      {"/", K::kCommand},
      {"  SEARCHF", K::kCommand},
      // After help: a command name, once.
      {"help ", K::kCommand},
      {"/help who", K::kCommand},
      {"help message ", K::kNone},
      // User names: the first argument of commands about people.
      {"message ", K::kUser},
      {"message al", K::kUser},
      {"message alice,b", K::kUser},  // each name of a group
      {"message alice,", K::kUser},
      {"/whisper b", K::kUser},
      {"block ", K::kUser},
      {"unblock m", K::kUser},
      {"startprivate ", K::kUser},
      {"private b", K::kUser},
      {"stopprivate ", K::kUser},
      {"fingerprint ", K::kUser},
      {"MESSAGE b", K::kUser},
      // Then text: nothing to complete.
      {"message alice ", K::kNone},
      {"message alice hello th", K::kNone},
      {"private bob hi", K::kNone},
      {"block bob ", K::kNone},
      // File names: the first argument of file commands, not the numbers after it.
      {"register ", K::kFile},
      {"register so", K::kFile},
      {"download ", K::kFile},
      {"/searchFile s", K::kFile},
      {"searchchunk s", K::kFile},
      {"searchChunk song.mp3 ", K::kNone},
      {"download song.mp3 1 ", K::kNone},
      {"register song.mp3 ", K::kNone},
      // Commands without arguments, text commands and unknown words: nothing.
      {"broadcast ", K::kNone},
      {"me wav", K::kNone},
      {"reply ", K::kNone},
      {"whoelsesince ", K::kNone},
      {"whoelse ", K::kNone},
      {"nosuch ", K::kNone},
      {"nosuch bo", K::kNone},
  };
  for (const auto& c : cases) {
    INFO("before cursor: '", c.before, "'");
    CHECK(completion_kind(c.before) == c.kind);
  }
}

TEST_CASE("history: a user, a count, both in either order, or neither") {
  CHECK(parse_as<cmd::History>("history").user.empty());
  CHECK(parse_as<cmd::History>("history").count == 20);
  CHECK(parse_as<cmd::History>("history bob").user == "bob");
  auto both = parse_as<cmd::History>("/History 5 bob");
  CHECK(both.user == "bob");
  CHECK(both.count == 5);
  CHECK(parse_as<cmd::History>("history bob 50").count == 50);
  CHECK(parse_error("history bob carol").message == "usage: history [user] [n]");
  CHECK(parse_error("history 0").message == "usage: history [user] [n]");
  CHECK(parse_error("history 1001").message == "usage: history [user] [n]");
  CHECK(parse_error("history bad/name").message.find("invalid name") != std::string::npos);
}
