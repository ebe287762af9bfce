// Every message of the registry protocol (docs/protocol.md). A frame holds exactly one
// `Message`; its variant index is the type tag, so new types are only ever appended.
// Requests carry a `request` id chosen by the client; the reply echoes it. Events
// (chat, presence, ...) are pushed by the server with no request id.
#pragma once

#include <cereal/types/common.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "shared/wire/broker_messages.hpp"
#include "shared/wire/file_messages.hpp"
#include "shared/wire/status.hpp"

namespace parley::wire {

// ---- handshake, both directions ----
struct Hello {  // client -> server, first frame
  std::uint32_t version = 0;
  std::string client;  // software name and version, for logs
  template <class A>
  void serialize(A& ar) {
    ar(version, client);
  }
};
struct Welcome {  // server -> client, answer to Hello
  std::uint32_t version = 0;
  std::string server;
  std::uint32_t heartbeat_ms = 0;  // the client sends a Heartbeat at least this often
  template <class A>
  void serialize(A& ar) {
    ar(version, server, heartbeat_ms);
  }
};
struct Heartbeat {  // both directions: proves the other side is alive; not a command
  template <class A>
  void serialize(A&) {}
};

// ---- requests, client -> server ----
struct Login {
  std::uint32_t request = 0;
  std::string user;
  std::string password;
  LinkEndpoint endpoint;
  // Create the account with this password if the name is free and the server allows
  // sign-up (the peer asks only after the server said `can_sign_up`).
  bool sign_up = false;
  template <class A>
  void serialize(A& ar) {
    ar(request, user, password, endpoint, sign_up);
  }
};
struct SendMessage {  // one recipient: private message; several: group message
  std::uint32_t request = 0;
  std::string msg_id;  // unique, chosen by the sender
  std::vector<std::string> to;
  std::string text;
  template <class A>
  void serialize(A& ar) {
    ar(request, msg_id, to, text);
  }
};
struct Broadcast {
  std::uint32_t request = 0;
  std::string msg_id;
  std::string text;
  template <class A>
  void serialize(A& ar) {
    ar(request, msg_id, text);
  }
};
struct WhoElse {
  std::uint32_t request = 0;
  template <class A>
  void serialize(A& ar) {
    ar(request);
  }
};
struct WhoElseSince {
  std::uint32_t request = 0;
  std::int64_t seconds = 0;
  template <class A>
  void serialize(A& ar) {
    ar(request, seconds);
  }
};
struct Block {
  std::uint32_t request = 0;
  std::string user;
  template <class A>
  void serialize(A& ar) {
    ar(request, user);
  }
};
struct Unblock {
  std::uint32_t request = 0;
  std::string user;
  template <class A>
  void serialize(A& ar) {
    ar(request, user);
  }
};
struct Logout {
  std::uint32_t request = 0;
  template <class A>
  void serialize(A& ar) {
    ar(request);
  }
};
// The client has these chat messages (every ChatEvent's seq, live or from the mailbox,
// shown or recognised as seen before): the server deletes them and tells their senders.
struct AckOffline {
  std::vector<std::int64_t> seqs;
  template <class A>
  void serialize(A& ar) {
    ar(seqs);
  }
};

// ---- replies, server -> client ----
struct LoginResult {
  std::uint32_t request = 0;
  Status status = Status::ok;
  std::string user;
  std::string message;
  std::uint32_t attempts_left = 0;  // after wrong_password
  std::int64_t retry_after_s = 0;   // after locked
  bool can_sign_up = false;         // after unknown_user: the name is free and sign-up is open
  // After ok: a token for Resume after a dropped connection or a server restart (hex, kept
  // in the peer's data directory; the server keeps only its hash). Empty otherwise.
  std::string resume_token = {};
  template <class A>
  void serialize(A& ar) {
    ar(request, status, user, message, attempts_left, retry_after_s, can_sign_up, resume_token);
  }
};
struct Result {  // generic answer: ok, or an error with a message
  std::uint32_t request = 0;
  Status status = Status::ok;
  std::string message;
  template <class A>
  void serialize(A& ar) {
    ar(request, status, message);
  }
};
struct RecipientResult {
  std::string user;
  // ok: the recipient's peer acknowledged it already (delivered); stored_offline: stored
  // durably, not acknowledged yet (a Receipt follows when it is); or an error (nothing
  // was stored for this recipient).
  Status status = Status::ok;
  template <class A>
  void serialize(A& ar) {
    ar(user, status);
  }
};
struct SendResult {
  std::uint32_t request = 0;
  std::vector<RecipientResult> recipients;
  template <class A>
  void serialize(A& ar) {
    ar(request, recipients);
  }
};
struct BroadcastResult {
  std::uint32_t request = 0;
  std::uint32_t delivered = 0;
  bool some_skipped = false;  // someone online blocked the sender, or lagged too far behind (who is not said)
  template <class A>
  void serialize(A& ar) {
    ar(request, delivered, some_skipped);
  }
};
struct UserList {
  std::uint32_t request = 0;
  std::vector<std::string> users;
  // WhoElseSince only, parallel to `users`: when each was last seen online (unix ms), 0
  // for someone online now. Empty in the answer to WhoElse.
  std::vector<std::int64_t> last_seen_ms;
  template <class A>
  void serialize(A& ar) {
    ar(request, users, last_seen_ms);
  }
};

// ---- events, server -> client ----
struct ChatEvent {
  std::string msg_id;
  std::string from;
  std::vector<std::string> to;  // every recipient of a group message; empty for a private one
  std::string text;
  std::int64_t sent_ms = 0;  // when the server accepted it
  std::int64_t seq = 0;      // the recipient's mailbox id (> 0): acknowledge it with AckOffline
  bool offline = false;      // it waited in the mailbox (sent while away, or not acknowledged then)
  template <class A>
  void serialize(A& ar) {
    ar(msg_id, from, to, text, sent_ms, seq, offline);
  }
};
struct BroadcastEvent {
  std::string msg_id;
  std::string from;
  std::string text;
  std::int64_t sent_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(msg_id, from, text, sent_ms);
  }
};
struct PresenceEvent {
  std::string user;
  bool online = false;
  std::int64_t at_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(user, online, at_ms);
  }
};
struct LoggedOut {  // the server ends the session; the connection closes after it
  std::string reason;
  // The server itself is going away (shutdown): the session is not over for good, so
  // log in again when it is back rather than quit.
  bool temporary = false;
  template <class A>
  void serialize(A& ar) {
    ar(reason, temporary);
  }
};
struct ProtocolError {  // sent before closing a connection that broke the protocol
  Status status = Status::bad_request;
  std::string message;
  template <class A>
  void serialize(A& ar) {
    ar(status, message);
  }
};

// ---- round trip and server announcements ----
struct Ping {  // client -> server; answered at once with Pong (the shell's /ping)
  std::uint32_t request = 0;
  template <class A>
  void serialize(A& ar) {
    ar(request);
  }
};
struct Pong {
  std::uint32_t request = 0;
  template <class A>
  void serialize(A& ar) {
    ar(request);
  }
};
struct Announcement {  // server -> everyone online: the operator's `say`
  std::string text;
  std::int64_t sent_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(text, sent_ms);
  }
};

// server -> client, once per idle period: no command for a while, and the idle logout
// comes in `seconds_left` unless one arrives (a Ping will do: it is what a peer sends
// when its user says "still here").
struct IdleWarning {
  std::int64_t seconds_left = 0;
  template <class A>
  void serialize(A& ar) {
    ar(seconds_left);
  }
};

// server -> sender: `user`'s peer acknowledged the message `msg_id` (delivered). Sent
// once, if the sender is online then, for a recipient whose SendResult said stored_offline.
struct Receipt {
  std::string msg_id;
  std::string user;  // the recipient
  template <class A>
  void serialize(A& ar) {
    ar(msg_id, user);
  }
};
// client -> server: log in again without the password, with the resume_token of an
// earlier LoginResult (after a dropped connection or a server restart). Answered with a
// LoginResult: ok (and a token), or token_refused (log in with the password instead).
struct Resume {
  std::uint32_t request = 0;
  std::string user;
  std::string token;
  LinkEndpoint endpoint;
  template <class A>
  void serialize(A& ar) {
    ar(request, user, token, endpoint);
  }
};

// client -> server (protocol 7): whom this user has blocked, kept by the server across
// sessions, so a peer knows its block list from the start. Answered with a UserList.
struct ListBlocked {
  std::uint32_t request = 0;
  template <class A>
  void serialize(A& ar) {
    ar(request);
  }
};

using Message =
    std::variant<Hello, Welcome, Heartbeat, Login, SendMessage, Broadcast, WhoElse, WhoElseSince, Block,
                 Unblock, Logout, AckOffline, LoginResult, Result, SendResult, BroadcastResult, UserList,
                 ChatEvent, BroadcastEvent, PresenceEvent, LoggedOut, ProtocolError, StartPrivate,
                 LinkRequest, LinkAnswer, LinkOffer, RegisterFile, SearchFile, FileInfo, HaveChunks, Ping,
                 Pong, Announcement, IdleWarning, Receipt, Resume, ReachProbe, Reachability, ListBlocked>;

// Short type name for logs ("SendMessage").
const char* type_name(const Message& message);

}  // namespace parley::wire
