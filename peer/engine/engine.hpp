// The peer engine: everything the peer does that is not a terminal. It owns the
// registry session, the direct links and the transfers, and exposes two things only:
// commands in (execute(), answered when the command is done) and one typed stream of
// events out (subscribe()). Front ends (the terminal shell, the --json writer) drive it
// and render its events. Everything runs on one io_context thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "peer/commands.hpp"
#include "peer/engine/config.hpp"
#include "peer/engine/delivery.hpp"
#include "peer/engine/events.hpp"
#include "peer/engine/presence_tracker.hpp"
#include "peer/engine/registry_session.hpp"
#include "peer/engine/transfers.hpp"
#include "peer/links/link_manager.hpp"
#include "peer/store/message_store.hpp"
#include "shared/net/tls_context.hpp"

namespace parley::peer {

class Engine {
 public:
  using Listener = std::function<void(const Event&)>;

  Engine(asio::io_context& io, PeerConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void subscribe(Listener listener) { listeners_.push_back(std::move(listener)); }
  // Called once when the engine is done (logged out, or could not go on).
  void on_finished(std::function<void(int exit_code)> callback) { on_finished_ = std::move(callback); }

  // Logging in, step by step, so a front end can ask its user in between: connect and
  // see the server's certificate; trust it if new; log in (or sign up); then start().
  asio::awaitable<RegistrySession::Connected> connect(bool ask_first_use) {
    return session_.connect(ask_first_use);
  }
  void trust_server() { session_.trust(); }
  asio::awaitable<RegistrySession::LoginOutcome> log_in(const std::string& user, const std::string& password,
                                                        bool sign_up);
  void start();
  // Closes the connection while the person at the terminal is asked something: the
  // next log_in() connects again.
  void hang_up() { session_.client().close("asking the user"); }

  // Runs one command to its end (replies and errors come as events); false if it failed.
  asio::awaitable<bool> execute(const Command& command);
  // The user is at the keyboard (Enter on an empty line): an idle session stays, a
  // logged-out one logs back in.
  void touch();
  // Closes the links and logs out if logged in, then finishes with `exit_code`.
  asio::awaitable<void> shut_down(int exit_code);
  void finish(int exit_code);

  const std::string& user() const { return session_.user(); }
  const PeerConfig& config() const { return config_; }
  std::vector<std::string> online_users() const;
  std::vector<std::string> linked_users() const { return links_->users(); }
  // Whom we have blocked, as the server last said (empty until its answer after login).
  const std::set<std::string>& blocked_users() const { return blocked_; }
  std::vector<std::string> file_names() const { return transfers_->file_names(); }

 private:
  void emit(Event event);
  void error(std::string_view command, std::string message) {
    emit(ev::Error{std::string(command), std::move(message)});
  }
  void on_event(wire::Message&& message);
  void show_logged_in();
  asio::awaitable<void> log_back_in();
  void on_session_ended(const wire::LoggedOut& logged_out);
  void on_chat(wire::ChatEvent&& message);
  asio::awaitable<void> answer_link(wire::LinkRequest request);
  void on_server_up(bool again);
  asio::awaitable<void> learn_who_is_online(bool again);
  asio::awaitable<void> settle_presence();
  // engine_blocks.cpp: the block list the server keeps for us.
  asio::awaitable<void> learn_blocked();
  // Applies a block (`now` true) or unblock the server confirmed; emits the list if it moved.
  void note_block(const std::string& user, bool now);
  // Queues `seq` for the next AckOffline frame (one flush per loop pass).
  void acknowledge(std::int64_t seq);
  void on_receipt(const wire::Receipt& receipt);
  LinkManager::Events link_events();
  wire::LinkEndpoint endpoint(const std::string& local_address);

  // engine_commands.cpp: one handler per command.
  asio::awaitable<bool> dispatch(const Command& command);
  asio::awaitable<std::optional<wire::Message>> request(std::string_view command,
                                                        const wire::Message& message);
  bool generic_reply(std::string_view command, const wire::Message& reply);
  asio::awaitable<bool> not_delivered_directly(std::string_view command, const std::string& user,
                                               const std::string& text, const std::string& id,
                                               const std::string& why);
  asio::awaitable<bool> send_private(std::string_view command, const std::string& user,
                                     const std::string& text);
  asio::awaitable<bool> send_users(std::string_view command, bool include_me);
  asio::awaitable<bool> to_partner(std::string_view command, const std::string& text);
  asio::awaitable<bool> handle(const cmd::Message& c);
  asio::awaitable<bool> handle(const cmd::Broadcast& c);
  asio::awaitable<bool> handle(const cmd::WhoElse& c);
  asio::awaitable<bool> handle(const cmd::WhoElseSince& c);
  asio::awaitable<bool> handle(const cmd::Users& c);
  asio::awaitable<bool> handle(const cmd::Ping& c);
  asio::awaitable<bool> handle(const cmd::Block& c);
  asio::awaitable<bool> handle(const cmd::Unblock& c);
  asio::awaitable<bool> handle(const cmd::Blocked& c);
  asio::awaitable<bool> handle(const cmd::StartPrivate& c);
  asio::awaitable<bool> handle(const cmd::Private& c);
  asio::awaitable<bool> handle(const cmd::StopPrivate& c);
  asio::awaitable<bool> handle(const cmd::Reply& c);
  asio::awaitable<bool> handle(const cmd::Me& c);
  asio::awaitable<bool> handle(const cmd::Register& c) { return transfers_->register_file(c); }
  asio::awaitable<bool> handle(const cmd::SearchFile& c) { return transfers_->search_file(c); }
  asio::awaitable<bool> handle(const cmd::SearchChunk& c) { return transfers_->search_chunks(c); }
  asio::awaitable<bool> handle(const cmd::Download& c) { return transfers_->download(c); }
  asio::awaitable<bool> handle(const cmd::Downloads& c);
  asio::awaitable<bool> handle(const cmd::Uploads& c);
  asio::awaitable<bool> handle(const cmd::Wait& c);
  asio::awaitable<bool> handle(const cmd::Reconnect& c);
  asio::awaitable<bool> handle(const cmd::Login& c);
  asio::awaitable<bool> handle(const cmd::Fingerprint& c);
  asio::awaitable<bool> handle(const cmd::Logout& c);
  asio::awaitable<bool> handle(const cmd::Help& c);
  asio::awaitable<bool> handle(const cmd::History& c);

  // engine_history.cpp: the peer's own store (history, ids already shown).
  void open_store();
  // False if this message was shown before (a redelivery): only acknowledge it again.
  bool first_showing(const std::string& from, const std::string& msg_id);
  // `durable(ok)` (optional) once the line is on disk.
  void record(StoredMessage message, MessageStore::Done durable = {});
  void record_received(std::string kind, std::string msg_id, std::string from, std::vector<std::string> to,
                       std::string text, bool action, std::int64_t time_ms, MessageStore::Done durable = {});

  // engine_outbox.cpp: our messages through the server, from the outbox to the receipts.
  asio::awaitable<bool> send_message(std::string_view command, const std::vector<std::string>& to,
                                     const std::string& text, const std::string& id);
  asio::awaitable<void> keep_in_outbox(const QueuedMessage& message);
  // Sends one message and applies the answer; nullopt if none came (it stays in the
  // outbox), else whether every recipient took it.
  asio::awaitable<std::optional<bool>> deliver(std::string_view command, const QueuedMessage& message,
                                               bool resent);
  bool answered(std::string_view command, const QueuedMessage& message, const wire::SendResult& result,
                bool resent);
  void refused(std::string_view command, const QueuedMessage& message, const wire::Message& reply);
  void still_queued(std::string_view command, const QueuedMessage& message);
  // Moves `user`'s state of our message `id` forward, in memory and on disk; a receipt
  // worth telling (stored, delivered) is appended to `told`.
  void move_receipt(const std::string& id, const std::string& user, Delivery state,
                    std::vector<ev::Receipt>& told);
  asio::awaitable<void> flush_outbox();

  asio::io_context& io_;
  PeerConfig config_;
  std::vector<Listener> listeners_;
  std::function<void(int)> on_finished_;
  net::Identity identity_;
  RegistrySession session_;
  std::unique_ptr<LinkManager> links_;
  std::unique_ptr<Transfers> transfers_;
  std::unique_ptr<MessageStore> store_;  // from the first login: it is kept per account
  bool flushing_outbox_ = false;
  std::unordered_set<std::string> in_flight_;  // ids sent and not answered on this connection
  ReceiptTracker receipts_;
  PresenceTracker presence_;
  asio::steady_timer settle_timer_;
  wire::LinkEndpoint endpoint_;
  std::string last_partner_;  // whom `reply` and `/me` address
  std::set<std::string> blocked_;
  AckBatch acks_;
  // What the server pushes between its login answer and LoggedIn being shown (offline
  // messages come right behind the answer): shown after it.
  std::vector<wire::Message> held_;
  bool holding_ = false;
  bool relogging_ = false;  // the login command is under way
  bool started_ = false;
  bool logging_out_ = false;
  bool finished_ = false;
  // Store completions are posted to the loop and may run after the engine is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::peer
