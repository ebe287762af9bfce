// The peer shell's command language: pure parsing and usage text, no I/O.
// Every command works with or without a leading '/'. Later issues add commands here
// (startprivate, private, register, download, ...): one table row and one struct each.
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
struct Users {};  // users: everyone online, you included
struct Ping {};   // ping: round trip to the server
struct Logout {};
struct Help {  // help [command]
  std::string topic;
};
}  // namespace cmd

using Command = std::variant<cmd::Message, cmd::Broadcast, cmd::WhoElse, cmd::WhoElseSince, cmd::Block,
                             cmd::Unblock, cmd::Logout, cmd::Help, cmd::StartPrivate, cmd::Private,
                             cmd::StopPrivate, cmd::Reply, cmd::Register, cmd::SearchFile, cmd::SearchChunk,
                             cmd::Download, cmd::Downloads, cmd::Users, cmd::Ping>;

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

// All command names, for tab completion and help.
const std::vector<std::string>& command_names();

// "message <user>[,<user>...] <text>" and a one-line description.
std::string usage(std::string_view name);
std::string help_text();  // every command with its usage, one per line

// The known command closest to `word` by edit distance, if it is close enough to be a
// plausible typo ("mesage" -> "message").
std::optional<std::string> closest_command(std::string_view word);

}  // namespace parley::peer
