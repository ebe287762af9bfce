// Everything the peer engine tells its front ends, as one typed stream. Front ends (the
// terminal shell, the --json writer, later the web UI) render these; the engine knows
// nothing of terminals, colours or JSON.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "peer/store/records.hpp"
#include "shared/wire/link_messages.hpp"
#include "shared/wire/messages.hpp"

namespace parley::peer {

// A download as shown by `downloads`, progress and the final line.
struct DownloadView {
  std::string file;
  std::string state;  // starting, running, finished, failed
  std::uint32_t done = 0, total = 0;
  std::uint64_t bytes = 0, total_bytes = 0;
  double rate = 0;                    // bytes per second
  double elapsed_s = 0;               // since it started
  bool whole_file = true;             // false: only some chunks were asked for
  std::vector<std::uint32_t> chunks;  // those chunks, numbered from 1 (empty: whole file)
  std::string path;
  std::string error;
  std::string sha256;  // hex
  std::vector<std::string> sources;
  std::uint32_t resumed = 0, fetched = 0;
  std::vector<std::pair<std::string, std::string>> paths = {};  // each source's link path
};

// What this peer is serving to someone else, as shown by `uploads`.
struct UploadView {
  std::string user;
  std::string file;
  std::uint64_t bytes = 0;  // sent to this user for this file, this session
  double rate = 0;          // bytes per second, lately
};

namespace ev {

// A value attached to a Notice, so a front end can show or forward it.
using Value = std::variant<bool, std::int64_t, std::string>;
using Fields = std::vector<std::pair<std::string, Value>>;

struct LoggedIn {
  std::string user;
  std::string p2p;          // host:port of the direct-link listener
  std::string fingerprint;  // this peer's certificate, hex
};
struct LoggedOut {
  std::string reason;
  bool can_log_in_again = false;  // the program stays: `login` (or Enter) logs back in
};
struct Error {
  std::string command;  // the command that failed, or login/connect/server
  std::string message;
};
struct Notice {  // a confirmation or remark; `fields` say what it is about
  std::string message;
  Fields fields;
};
struct Chat {  // a server message (private or group) to us
  wire::ChatEvent message;
  bool action = false;  // "/me ...": `message.text` is the action without the prefix
};
// One recipient's state of our message moved: `stored` (on the server's disk) or
// `delivered` (their peer acknowledged it). Told once per recipient and state.
struct Receipt {
  std::string id;
  std::string to;
  std::string state;
  std::string text;  // the message, for a front end that quotes it; "" if sent before a restart
};
// A message we sent through the server: typed and on its way (`pending`), waiting in the
// outbox (`queued`), or answered by the server for each recipient (neither).
struct Sent {
  std::string id;
  std::vector<std::string> to;
  std::string text;
  bool action = false;
  std::int64_t sent_ms = 0;
  std::vector<wire::RecipientResult> results;  // ok: delivered; stored_offline: stored; else refused
  std::string command = "message";             // what sent it (message, reply, me), for errors
  bool queued = false;   // no answer from the server (unreachable): kept in the outbox, sent when it is back
  bool pending = false;  // sent, not answered yet
  bool resent = false;   // shown before (typed earlier, or before a restart): this is news about it
  std::vector<Receipt> receipts{};  // the recipients whose state this answer moved
};
struct Broadcast {
  wire::BroadcastEvent message;
  bool action = false;
};
struct BroadcastSent {
  std::string id;
  std::string text;
  bool action = false;
  std::uint32_t delivered = 0;
  bool some_skipped = false;
};
struct Presence {
  wire::PresenceEvent event;
};
struct SeenUser {
  std::string user;
  std::int64_t last_seen_ms = 0;  // 0: online now (or unknown)
};
struct Users {
  std::string command;  // whoelse, whoelsesince, users
  std::vector<SeenUser> users;
};
struct Help {
  std::string text;
};
struct Private {  // over a direct link: from them, or (mine) from us
  std::string from;
  std::string to;
  wire::PrivateText message;
  bool mine = false;
  bool action = false;
};
struct Link {
  std::string user;
  bool open = false;
  std::string reason;
  std::string fingerprint;  // theirs, hex (when open)
  std::string path = {};    // when open: direct, reverse, punched or relay
};
struct Server {
  bool up = false;  // false: unreachable, retrying; true: back and logged in
  std::string reason;
};
struct Registered {
  std::string file;
  std::uint32_t chunks = 0;
  std::uint64_t size = 0;
  std::string sha256;
};
struct FileFound {
  std::string file;
  std::vector<std::string> users;
};
struct Chunks {
  std::string file;
  std::vector<std::pair<std::uint32_t, std::vector<std::string>>> chunks;  // numbered from 1
};
struct Pong {
  double ms = 0;
};
struct Announcement {
  std::string text;
  std::int64_t sent_ms = 0;
};
struct DownloadStarted {
  DownloadView download;
};
struct Progress {  // at most 4 a second per download, and always the last
  DownloadView download;
};
struct Running {  // after each change: every download still running, for a status line
  std::vector<DownloadView> downloads;
};
struct Downloaded {
  DownloadView download;
};
struct Downloads {
  std::vector<DownloadView> downloads;
};
struct Uploads {
  std::vector<UploadView> uploads;
};
struct IdleWarning {  // the server logs us out after this many seconds unless we act
  std::int64_t seconds = 0;
};
struct History {                        // the answer to `history`
  std::string user;                     // "" for every conversation
  std::vector<StoredMessage> messages;  // oldest first
};
// Whom we have blocked (the server keeps it across sessions): learned after every login,
// then after each block and unblock. `answer`: the reply to the `blocked` command (front
// ends print it); otherwise only front ends that keep a user list use it.
struct Blocked {
  std::vector<std::string> users;  // sorted
  bool answer = false;
};
struct Fingerprint {
  std::string user;
  std::string fingerprint;  // hex
  bool mine = false;
};

}  // namespace ev

using Event =
    std::variant<ev::LoggedIn, ev::LoggedOut, ev::Error, ev::Notice, ev::Chat, ev::Sent, ev::Broadcast,
                 ev::BroadcastSent, ev::Presence, ev::Users, ev::Help, ev::Private, ev::Link, ev::Server,
                 ev::Registered, ev::FileFound, ev::Chunks, ev::Pong, ev::Announcement, ev::DownloadStarted,
                 ev::Progress, ev::Running, ev::Downloaded, ev::Downloads, ev::Uploads, ev::IdleWarning,
                 ev::Fingerprint, ev::History, ev::Receipt, ev::Blocked>;

}  // namespace parley::peer
