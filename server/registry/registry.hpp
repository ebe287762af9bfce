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
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/registry/file_index.hpp"
#include "server/storage/store.hpp"
#include "shared/wire/messages.hpp"

namespace parley::server {

using SessionId = std::uint64_t;

// One message, serialized once, for every session in `to`.
struct Outbound {
  std::vector<SessionId> to;
  wire::Message message;
};

struct Effects {
  std::vector<Outbound> sends;         // now
  std::vector<WriteOp> writes;         // to commit before the reply: what the reply acknowledges
  std::vector<WriteOp> bookkeeping;    // to commit, but no reply waits for it (login history)
  std::optional<wire::Message> reply;  // to the requester, only once `writes` are committed
};

struct RegistrySettings {
  std::int64_t block_duration_ms = 60'000;
  int max_failures = 3;
  std::int64_t link_answer_ms = 10'000;  // how long a target has to get ready for a direct link
};

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

  // ---- commands of a logged-in session ----
  // Takes the request's text and id over (no copy per relayed message).
  Effects send_message(SessionId session, wire::SendMessage&& request, std::int64_t now_ms);
  Effects broadcast(SessionId session, const wire::Broadcast& request, std::int64_t now_ms);
  wire::UserList who_else(SessionId session, std::uint32_t request) const;
  wire::UserList who_else_since(SessionId session, std::uint32_t request, std::int64_t seconds,
                                std::int64_t now_ms) const;
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

  struct PendingLink {
    SessionId requester;
    std::uint32_t request;
    std::string target;
    std::int64_t expires_ms;
    wire::LinkPurpose purpose;
  };
  std::unordered_map<std::string, PendingLink> pending_links_;  // by token
  FileIndex files_;
};

}  // namespace parley::server
