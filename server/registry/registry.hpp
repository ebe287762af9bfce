// The registry's state: accounts, who is online, blocks, failed logins and lockouts,
// last-seen times. Pure logic, no sockets, no disk, no clock: every operation takes the
// current time and returns Effects, which say what to send to whom now, what to make
// durable, and what to answer once that is durable. Tests drive it directly; the
// server applies the effects.
//
// registry.cpp: accounts, logins, presence, lists and blocks; registry_chat.cpp:
// relaying messages; registry_links.cpp: direct links; registry_files.cpp: files.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/registry/effects.hpp"
#include "server/registry/file_index.hpp"
#include "server/registry/mailbox.hpp"
#include "server/storage/store.hpp"
#include "shared/wire/messages.hpp"

namespace parley::server {

struct RegistrySettings {
  std::int64_t block_duration_ms = 60'000;
  int max_failures = 3;
  std::int64_t link_answer_ms = 10'000;  // how long a target has to get ready for a direct link
  std::int64_t ack_grace_ms = 200;  // how long a message waits for its acknowledgement before it is written
  MailboxQuotaSettings mailbox_quota{};  // what may wait on disk per recipient and per sender
  // A dropped connection's "offline" waits this long for the user to come back (resume
  // or log in): a blip is no presence change. 0: announced at once.
  std::int64_t presence_grace_ms = 3'000;
  // Until then (the first seconds after a server start) a resume is not announced: the
  // restart disconnected everyone, and N peers coming back would cost N^2 presence
  // events; the peers ask who is back instead (WhoElse) once they have settled.
  std::int64_t quiet_resumes_until_ms = 0;
  bool relay = false;  // a relay can carry links between peers behind NAT
  std::optional<wire::LinkPath> force_path =
      std::nullopt;  // tests and benchmarks: every link takes this path
};

// 1,000 names of at most 32 bytes (plus cereal's 8-byte length each) stay well under
// the 64 KiB frame cap.
inline constexpr std::size_t kMaxBlockedListed = 1000;

class Registry {
 public:
  Registry(std::set<std::string, std::less<>> accounts, RegistrySettings settings);

  // Restores blocks, lockouts and last-seen times saved by the store.
  void restore(const PersistedState& state);

  // ---- login, in two steps around the (slow, off-loop) password check ----
  // Returns nullopt when the password should be checked, else the refusal to send.
  std::optional<wire::LoginResult> check_login_allowed(const std::string& user, std::int64_t now_ms) const;
  // Records the password check's outcome. On success `session` is logged in.
  Effects finish_login(std::uint32_t request, const std::string& user, bool password_ok, SessionId session,
                       const std::string& address, const wire::LinkEndpoint& endpoint, std::int64_t now_ms);
  // Logs out whoever `session` is; nothing happens if it is not logged in.
  // `announce`: tell the others. Not when the server itself is going away: every session
  // ends at once, and a wall of logouts followed by logins would hide the real changes.
  Effects logout(SessionId session, const std::string& reason, std::int64_t now_ms, bool announce = true);

  // ---- session resumption (registry_resume.cpp) ----
  // Logs `user` in on `session` after the caller verified a resumption token: no
  // password, no lockout, nothing counted. If the registry still thinks `user` is online
  // elsewhere (a dead connection not yet noticed), this session takes over silently and
  // `replaced` names the old one, for the caller to close without a logout.
  Effects resume(std::uint32_t request, const std::string& user, SessionId session,
                 const std::string& address, const wire::LinkEndpoint& endpoint, std::int64_t now_ms,
                 std::optional<SessionId>& replaced);
  // The connection went away without a logout: like logout(), but the others hear of it
  // only if the user is not back within the grace (see announce_departures).
  Effects connection_lost(SessionId session, const std::string& reason, std::int64_t now_ms);
  // "Offline" for whoever dropped more than the grace ago and is still away.
  Effects announce_departures(std::int64_t now_ms);

  // ---- commands of a logged-in session ----
  // Takes the request's text and id over (no copy per relayed message). Pushes it to the
  // online recipients at once; the SendResult waits for the mailbox (mailbox.hpp).
  Effects send_message(SessionId session, wire::SendMessage&& request, std::int64_t now_ms);
  // `session`'s peer has these ChatEvents: SendResults of messages now settled, Receipts
  // for stored ones (their rows are deleted with the mailbox's next batch).
  Effects acknowledge(SessionId session, std::span<const std::int64_t> seqs);
  Mailbox& mailbox() { return mailbox_; }
  Effects broadcast(SessionId session, const wire::Broadcast& request, std::int64_t now_ms);
  wire::UserList who_else(SessionId session, std::uint32_t request) const;
  wire::UserList who_else_since(SessionId session, std::uint32_t request, std::int64_t seconds,
                                std::int64_t now_ms) const;
  // Whom `session`'s user has blocked, sorted by name (at most kMaxBlockedListed, so the
  // answer always fits one frame); empty if not logged in.
  wire::UserList blocked_by(SessionId session, std::uint32_t request) const;
  Effects block(SessionId session, std::uint32_t request, const std::string& target);
  Effects unblock(SessionId session, std::uint32_t request, const std::string& target);

  // ---- brokering direct links ----
  // Asks the target to get ready for a dial from the requester. `token` is fresh and
  // random (made by the caller: randomness is not this class's business). The reply,
  // a LinkOffer, goes to the requester when the target answers or the time runs out.
  Effects start_private(SessionId session, const wire::StartPrivate& request, const std::string& token,
                        std::int64_t now_ms);
  Effects answer_link(SessionId session, const wire::LinkAnswer& answer);
  // Refuses the requests whose targets did not answer in time.
  Effects expire_link_requests(std::int64_t now_ms);
  // What the reachability check found for a logged-in user (forgotten at logout).
  void set_reachable(const std::string& user, bool reachable) { reachable_[user] = reachable; }
  // nullopt while the check is under way, or when the user takes no direct links.
  std::optional<bool> reachable(const std::string& user) const;
  // How a link from `requester` to `target` goes (docs/protocol.md, "Paths").
  wire::LinkPath choose_path(const std::string& requester, const std::string& target) const;
  const wire::LinkEndpoint* endpoint_of(const std::string& user) const;

  // ---- files and chunks ----
  Effects register_file(SessionId session, const wire::RegisterFile& request, std::int64_t now_ms);
  Effects have_chunks(SessionId session, const wire::HaveChunks& have);
  // Holders are listed while online, unless they have blocked the asker. Without the chunk
  // digests, even when asked for: the caller reads them from the store.
  wire::FileInfo search_file(SessionId session, const wire::SearchFile& request) const;

  // ---- queries ----
  bool account_exists(std::string_view user) const { return accounts_.find(user) != accounts_.end(); }
  // Why `name` cannot become a new account by sign-up, or "" if it can: the user-name
  // rules, a reserved name, or a name that is already an account, whatever the case.
  std::string sign_up_refusal(std::string_view name) const;
  void add_account(const std::string& name) { accounts_.insert(name); }
  const std::string* user_of(SessionId session) const;
  std::optional<SessionId> session_of(const std::string& user) const;
  bool has_blocked(const std::string& blocker, const std::string& blocked) const;
  limits::Owned files_owned(const std::string& user) const { return files_.owned_by(user); }

 private:
  static wire::Result reply_result(std::uint32_t request, wire::Status status, std::string message);
  static Effects refusal(std::uint32_t request, wire::Status status, std::string message);  // nothing else
  // Refuses the link requests made by or waiting on `user` (who is leaving).
  void drop_pending_links(SessionId session, const std::string& user, Effects& fx);
  std::vector<SessionId> presence_audience(const std::string& subject) const;
  // Makes `user` online on `session` (both login kinds); the others are told unless they
  // never heard that the user left.
  void admit(const std::string& user, SessionId session, const std::string& address,
             const wire::LinkEndpoint& endpoint, std::int64_t now_ms, Effects& fx, bool announce = true);
  std::optional<wire::Result> check_block_target(const std::string* me, std::uint32_t request,
                                                 const std::string& target, const char* verb) const;

  std::set<std::string, std::less<>> accounts_;
  RegistrySettings settings_;
  std::unordered_map<std::string, SessionId> online_;
  std::unordered_map<SessionId, std::string> user_by_session_;
  std::unordered_map<std::string, std::unordered_set<std::string>> blocks_;  // blocker -> blocked
  std::unordered_map<std::string, int> failures_;  // consecutive, since last success
  std::unordered_map<std::string, std::int64_t> locked_until_ms_;
  std::unordered_map<std::string, std::int64_t> last_seen_ms_;     // last moment each user was online
  std::unordered_map<std::string, wire::LinkEndpoint> endpoints_;  // of online users
  std::unordered_map<std::string, std::int64_t> departing_;        // dropped at, offline not told yet

  struct PendingLink {
    SessionId requester;
    std::uint32_t request;
    std::string target;
    std::int64_t expires_ms;
    wire::LinkPurpose purpose;
    wire::LinkPath path = wire::LinkPath::direct;
  };
  Effects start_reverse(SessionId session, SessionId target_session, const wire::StartPrivate& request,
                        const std::string& token);
  std::unordered_map<std::string, PendingLink> pending_links_;  // by token
  std::unordered_map<std::string, bool> reachable_;             // by user, once checked
  FileIndex files_;
  Mailbox mailbox_;
};

}  // namespace parley::server
