// The registry server: accepts TLS connections, owns the sessions, the registry state,
// the store and the password-hashing workers, and enforces deadlines with one sweep
// over all sessions every second or faster (cheaper than a timer per connection).
//
// Threading: everything here runs on one io_context thread, so the registry needs no
// locks. Slow work goes elsewhere: password checks on `workers_`, disk on the store's
// own thread; both post their results back.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>

#include "relay/relay.hpp"
#include "server/auth/password.hpp"
#include "server/limits/bans.hpp"
#include "server/limits/connection_caps.hpp"
#include "server/limits/fair_use.hpp"
#include "server/limits/login_throttle.hpp"
#include "server/limits/memory_trim.hpp"
#include "server/limits/store_pressure.hpp"
#include "server/registry/registry.hpp"
#include "server/registry/resume_tokens.hpp"
#include "server/storage/store.hpp"
#include "shared/net/async.hpp"
#include "shared/net/tls_context.hpp"
#include "shared/wire/codec.hpp"

namespace parley::server {

class Session;

struct ServerConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  std::chrono::seconds block_duration{60};
  std::chrono::seconds timeout{300};           // idle logout: no command for this long
  std::chrono::seconds dead_peer_timeout{25};  // nothing received for this long: gone (< 30 s with the sweep)
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds login_timeout{20};  // connected but not logged in, heartbeats or not
  std::chrono::seconds write_stall_timeout{30};
  std::chrono::seconds flush_timeout{10};
  // A message to an online user that is acknowledged within this is never written to disk.
  std::chrono::milliseconds ack_grace{200};
  std::chrono::seconds link_answer_timeout{10};  // for a target to get ready for a direct link      // a
                                                 // goodbye that cannot be sent in this time is dropped
  std::size_t max_outbox_bytes = 1024 * 1024;    // per connection; a reader this far behind is cut off
  std::filesystem::path credentials = "credentials.txt";
  std::filesystem::path data_dir = "parley-data";
  std::size_t password_workers = 2;
  bool allow_signup = false;                            // unknown names may create an account at first login
  std::chrono::seconds token_lifetime{14 * 24 * 3600};  // a resumption token is good this long
  std::chrono::milliseconds presence_grace{3000};       // see RegistrySettings::presence_grace_ms

  // ---- NAT traversal (docs/protocol.md, "Paths") ----
  bool probe_reachability = true;  // dial each peer's advertised address at login
  std::chrono::milliseconds probe_timeout{3000};
  // A relay in this process on this port (0: any free port); none when unset, unless
  // relay_at names one elsewhere (parley-relay, sharing relay_secret).
  std::optional<std::uint16_t> relay_port = std::nullopt;
  std::string relay_host;  // the address peers dial for the relay (default: --bind)
  std::string relay_at;    // host:port of a parley-relay
  std::string relay_fingerprint;
  std::string relay_secret;  // empty: a random one (fine for a relay in this process)
  relay::Limits relay_limits;
  std::filesystem::path relay_capture;                      // tests only: every relayed byte
  std::optional<wire::LinkPath> force_path = std::nullopt;  // tests and benchmarks

  // ---- Fair use and limits (server/limits/, README "Limits") ----
  limits::FairUseSettings fair_use;
  MailboxQuotaSettings mailbox_quota;
  limits::ConnectionCapSettings caps;
  limits::LoginThrottleSettings login_throttle;  // its `workers` is password_workers
};

class Server {
 public:
  // Loads credentials, opens the store, loads or creates the TLS identity. Throws
  // std::runtime_error with a message fit for the user on any failure.
  Server(asio::io_context& io, ServerConfig config);
  ~Server();

  void start();  // binds, then accepts and sweeps
  void stop();   // stops accepting, closes every session, waits for the store to flush
  // Graceful shutdown (SIGINT, SIGTERM, the console's `shutdown`): stop(), then let the
  // sessions' goodbyes flush for at most `grace`; `done` runs on the loop after that. A
  // second call does nothing.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> done);

  std::uint16_t port() const { return port_; }
  const std::string& fingerprint() const { return identity_.fingerprint; }
  const ServerConfig& config() const { return config_; }
  const std::vector<std::string>& credential_problems() const { return credential_problems_; }

  // ---- for sessions ----
  Registry& registry() { return registry_; }
  Store& store() { return *store_; }
  ResumeTokens& tokens() { return tokens_; }
  // The digest a resumption token of `user` must carry: nullopt if there is no account.
  std::optional<std::string> credential_digest_of(const std::string& user) const;
  // A fresh token for `user` (added to `fx.writes`, so the reply carrying it waits for
  // the commit); returns its hash, or "" if `user` has no credential.
  std::string issue_token(const std::string& user, Effects& fx, wire::LoginResult& reply);
  // Deletes tokens durably, no reply waiting.
  void forget_tokens(op::TokenChanges change);
  // Ends a session whose user resumed on another connection (no logout is announced).
  void end_replaced(SessionId session);
  // Sends effects now, commits their writes, then answers `requester`, then runs
  // `after_reply` (if the requester is still connected).
  void apply(Effects effects, SessionId requester, std::function<void()> after_reply = {});
  std::size_t deliver(const Outbound& outbound);  // copies dropped (live-only, for a lagging reader)
  void send_to(SessionId session, wire::SharedFrame frame);
  // `session`'s peer acknowledged these ChatEvents.
  void acknowledge(SessionId session, std::span<const std::int64_t> seqs);
  // The store's fetch_offline, after the mailbox's pending rows and deletions.
  void fetch_mailbox(std::string user, std::int64_t after_seq, std::int64_t before_seq,
                     std::function<void(std::vector<StoredMessage>)> done);
  // Checks `password` off the event loop; `done` runs on the event loop. Checks are
  // expensive on purpose, so they are scheduled fairly (limits/login_throttle.hpp): per
  // address, one at a time per user name, `busy` when the queue is full, and none for a
  // requester that has gone away meanwhile. An unknown name costs a check too.
  enum class PasswordCheck { match, mismatch, busy };
  void verify_password(const std::string& user, std::string password, const std::string& address,
                       std::weak_ptr<void> requester, std::function<void(PasswordCheck)> done);
  // Creates an account: hashes `password` off the event loop (in the same fair queue),
  // commits it, and only then makes it an account (registry, credentials). One sign-up
  // per name at a time, whatever its case; the name is checked again once the hash is ready.
  struct AccountCreation {
    bool ok = false;
    std::string error;  // why not, for the user
  };
  void create_account(const std::string& user, std::string password, const std::string& address,
                      std::weak_ptr<void> requester, std::function<void(AccountCreation)> done);
  std::size_t session_count() const { return sessions_.size(); }
  // After a login: checks whether the user's direct-link address is reachable from
  // here, and tells them (server_links.cpp).
  void check_reachability(SessionId session);
  // The relay in this process, if any.
  relay::Relay* relay() { return relay_.get(); }
  limits::FairUse& fair_use() { return fair_use_; }
  limits::Bans& bans() { return bans_; }
  limits::ConnectionCaps& connection_caps() { return caps_; }
  limits::LoginThrottle& login_throttle() { return login_throttle_; }
  // Stops reading from a session that feeds the store while it is backlogged.
  void pause_if_backlogged(SessionId feeder);

  // ---- for the operator console ----
  struct OnlineUser {
    std::string user;
    std::int64_t since_ms;
    std::string address;
  };
  std::vector<OnlineUser> online_users() const;  // sorted by name
  // Tells `user` why and disconnects them; false if they are not online.
  bool kick(const std::string& user, const std::string& reason);
  // Keeps `user` out for `duration_ms` (logins are refused as `locked`), kicking them if
  // they are online; false if they were not.
  bool ban(const std::string& user, std::int64_t duration_ms, const std::string& reason);
  // Sends `text` from the server to everyone online; returns how many.
  std::size_t announce(const std::string& text);
  void session_closed(SessionId session);

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> sweep_loop();
  asio::awaitable<void> wait_for_sessions();
  // After anything that may have given the mailbox work: its batch goes to the store once
  // per loop pass, and its grace timer runs while messages wait for acknowledgements.
  void schedule_mailbox();
  void flush_mailbox();
  // server_links.cpp: the relay and its tickets.
  void start_relay();
  void stamp_relay(Outbound& outbound);
  asio::awaitable<void> reachability_check(SessionId session, std::string user, wire::LinkEndpoint endpoint,
                                           std::string token);
  void prune_limits();  // server_limits.cpp
  bool admit_connection(SessionId id, const asio::ip::tcp::socket& socket);
  // Back-pressure (limits/store_pressure.hpp): every write to the store is counted in
  // and out; a session that feeds it while it is backlogged stops being read until the
  // backlog is down to the low-water mark.
  void store_queued(std::size_t ops) { store_pressure_.queued(ops); }
  void store_committed(std::size_t ops);
  void resume_reading();
  // False for a reader so far behind that live-only traffic (broadcasts, presence) is
  // dropped for it rather than let its outbox reach the limit that cuts it off.
  bool keeps_up(SessionId session, std::size_t frame_bytes) const;
  void start_password_checks();  // server_login.cpp
  const Credential& dummy_credential();

  asio::io_context& io_;
  ServerConfig config_;
  std::map<std::string, Credential, std::less<>> credentials_;
  std::vector<std::string> credential_problems_;
  net::Identity identity_;
  asio::ssl::context tls_;
  std::unique_ptr<Store> store_;
  Registry registry_;
  ResumeTokens tokens_;
  std::int64_t next_token_expiry_ms_ = 0;
  asio::thread_pool workers_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  asio::steady_timer grace_timer_;
  bool grace_armed_ = false;
  bool mailbox_flush_posted_ = false;
  std::uint16_t port_ = 0;
  SessionId next_session_ = 1;
  std::unordered_map<SessionId, std::shared_ptr<Session>> sessions_;
  bool stopping_ = false;
  bool shutting_down_ = false;
  std::chrono::steady_clock::time_point shutdown_deadline_;
  std::function<void()> shutdown_done_;
  net::AsyncEvent session_closed_;                 // for a shutdown waiting for the last goodbye
  std::set<std::string, std::less<>> signing_up_;  // lower-case names being created
  asio::ssl::context probe_tls_;                   // presents our certificate to listeners
  std::unique_ptr<relay::Relay> relay_;
  std::string relay_host_, relay_fingerprint_, relay_secret_;
  std::uint16_t relay_port_ = 0;
  limits::FairUse fair_use_;
  limits::Bans bans_;
  limits::ConnectionCaps caps_;
  limits::LoginThrottle login_throttle_;
  std::optional<Credential> dummy_;  // what an unknown name is checked against
  limits::StorePressure store_pressure_;
  limits::MemoryTrim memory_trim_;
  std::vector<SessionId> paused_;  // reads paused until the store catches up
};

}  // namespace parley::server
