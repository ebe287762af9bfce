// The peer's command language: pure parsing, usage text and completion context, no
// I/O. Every command works with or without a leading '/', in any case ("SEARCHFILE").
// A new command is one struct here and one row in commands.cpp's table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley::peer {

namespace cmd {
struct Message {  // message <user>[,<user>...] <text>
  std::vector<std::string> to;
  std::string text;
};
struct Broadcast {  // broadcast <text>
  std::string text;
};
struct WhoElse {};
struct WhoElseSince {  // whoelsesince <seconds>
  std::int64_t seconds = 0;
};
struct Block {
  std::string user;
};
struct Unblock {
  std::string user;
};
struct StartPrivate {  // startprivate <user>
  std::string user;
};
struct Private {  // private <user> <text>
  std::string user;
  std::string text;
};
struct StopPrivate {  // stopprivate <user>
  std::string user;
};
struct Reply {  // reply <text>
  std::string text;
};
struct Register {  // register <file> <number_of_chunks>
  std::string file;
  std::uint32_t chunks = 0;
};
struct SearchFile {  // searchFile <file>
  std::string file;
};
struct SearchChunk {  // searchChunk <file> <chunk> [<chunk> ...], numbered from 1 as typed
  std::string file;
  std::vector<std::uint32_t> chunks;
};
struct Download {  // download <file> [<chunk> ...], numbered from 1 as typed; none: the whole file
  std::string file;
  std::vector<std::uint32_t> chunks;
};
struct Downloads {};
struct Uploads {};  // uploads: what this peer is serving to others now
struct Wait {};     // wait: until every running download has finished or failed
struct Users {};    // users: everyone online, you included
struct Blocked {};  // blocked: whom you have blocked (kept by the server)
struct Ping {};     // ping: round trip to the server
struct Logout {};
struct Login {};      // login: log back in after an idle logout, with the same credentials
struct Reconnect {};  // reconnect: retry the server now rather than at the next backoff
struct Fingerprint {  // fingerprint [user]: empty user: your own certificate's
  std::string user;
};
struct Me {  // me <action>: an action line to the person reply would answer
  std::string text;
};
inline constexpr std::uint32_t kMaxHistoryLines = 1000;
struct History {  // history [user] [n]: the last n lines (all conversations, or with user)
  std::string user;
  std::uint32_t count = 20;
};
struct Help {  // help [command]
  std::string topic;
};
}  // namespace cmd

using Command =
    std::variant<cmd::Message, cmd::Broadcast, cmd::WhoElse, cmd::WhoElseSince, cmd::Block, cmd::Unblock,
                 cmd::Logout, cmd::Help, cmd::StartPrivate, cmd::Private, cmd::StopPrivate, cmd::Reply,
                 cmd::Register, cmd::SearchFile, cmd::SearchChunk, cmd::Download, cmd::Downloads, cmd::Users,
                 cmd::Ping, cmd::Uploads, cmd::Wait, cmd::Login, cmd::Reconnect, cmd::Fingerprint, cmd::Me,
                 cmd::History, cmd::Blocked>;

struct ParseError {
  std::string command;  // canonical command name when known ("message"), else the word typed
  std::string message;  // human-readable, e.g. "usage: message <user> <text>"
};

struct ParseResult {
  std::optional<Command> command;  // set on success
  ParseError error;                // meaningful only when !command
  bool empty = false;              // the line was blank: nothing to do, no error
};

ParseResult parse_command(std::string_view line);

// Canonical name of a parsed command ("whoelsesince").
std::string_view command_name(const Command& command);

// All command names in their canonical case ("searchFile"), for completion and help.
const std::vector<std::string>& command_names();

// "message <user>[,<user>...] <text>" and a one-line description.
// "message <user>[,<user>...] <text>  — send a private or group message", for any case
// of the name; wrapped to 80 columns if longer. Empty for an unknown name.
std::string usage(std::string_view name);
// Every command with its usage, then the editing keys; no line wider than 80 columns.
std::string help_text();

// The known command closest to `word` by edit distance, if it is close enough to be a
// plausible typo ("mesage" -> "message").
std::optional<std::string> closest_command(std::string_view word);

// What the word being typed at the cursor should complete to, from the line up to the
// cursor: a command name (the first word, or after help), a user name (the first
// argument of a command that names users; each name of message's comma list), a file
// name (the first argument of register, download, searchFile, searchChunk), or nothing
// (message text, chunk numbers, an unknown command).
enum class CompletionKind { kNone, kCommand, kUser, kFile };
CompletionKind completion_kind(std::string_view line_before_cursor);

}  // namespace parley::peer
