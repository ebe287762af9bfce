// The peer program: logs in, then reads commands (from the line editor on a terminal,
// or one per line from a script), turns them into requests to the registry or to
// direct links, and shows replies and events through Output. Everything runs on one
// io_context thread.
//
// app.cpp holds the life cycle (login, the command loop, events, reconnecting to the
// registry, leaving); app_commands.cpp what each command does; app_files.cpp sharing
// and downloading files.
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "peer/commands.hpp"
#include "peer/download/download.hpp"
#include "peer/engine/config.hpp"
#include "peer/links/link_manager.hpp"
#include "peer/registry_client.hpp"
#include "peer/sharing/catalog.hpp"
#include "peer/sharing/chunk_server.hpp"
#include "peer/shell/output.hpp"
#include "shared/net/tls_context.hpp"

namespace parley::peer {

class LineEditor;
struct ScriptReader;

class App {
 public:
  App(asio::io_context& io, PeerConfig config);
  ~App();
  // Runs until logout, end of input or a fatal error; returns the exit code.
  int run();

 private:
  // app.cpp
  asio::awaitable<void> main_flow();
  asio::awaitable<bool> log_in();
  struct LoginAttempt {
    std::optional<wire::LoginResult> result;  // nullopt: no answer
    std::string error;                        // why there was no answer
  };
  asio::awaitable<LoginAttempt> connect_and_log_in();
  asio::awaitable<void> reconnect_loop();
  asio::awaitable<void> leave(std::string reason_for_links, int exit_code);
  asio::awaitable<std::optional<std::string>> next_line(const std::string& prompt, bool secret = false);
  void on_server_up();
  void on_event(wire::Message&& event);
  void on_link_closed(const std::string& reason);
  void server_lost(const std::string& reason);
  std::string check_fingerprint(const std::string& fingerprint);
  void acknowledge(std::int64_t seq);
  void print(const std::string& line);
  void finish(int exit_code);
  std::vector<std::string> complete(const std::string& line, int word_index) const;

  // app_commands.cpp
  asio::awaitable<void> execute(const Command& command);
  asio::awaitable<std::optional<wire::Message>> request(const std::string& command,
                                                        const wire::Message& message);
  bool handle_generic(const std::string& command, const wire::Message& reply);
  asio::awaitable<void> send_message(const std::string& command, const std::vector<std::string>& to,
                                     const std::string& text);
  asio::awaitable<void> send_private(const std::string& command, const std::string& user,
                                     const std::string& text);
  asio::awaitable<void> start_private(const std::string& user);

  // app_files.cpp
  asio::awaitable<void> register_file(const cmd::Register& command);
  asio::awaitable<std::optional<wire::FileInfo>> find_file(const std::string& command,
                                                           const std::string& name);
  void search_chunks(const cmd::SearchChunk& command, const wire::FileInfo& info);
  void start_download(const cmd::Download& command);
  void list_downloads();
  Download::Env download_env();
  asio::awaitable<std::optional<wire::FileInfo>> lookup_file(const std::string& name, std::string* error);
  asio::awaitable<std::string> open_transfer_link(const std::string& user);
  void on_transfer(const std::string& user, wire::LinkMessage&& message);
  void on_piece(const std::string& user, const wire::PieceView& piece);
  void on_transfer_closed(const std::string& user);
  void on_have(const FileMeta& meta, const std::filesystem::path& path, const std::string& have,
               bool complete);
  void on_download_progress(const Download& download, bool final);
  asio::awaitable<void> announce_holdings();

  asio::io_context& io_;
  PeerConfig config_;
  Output output_;
  net::Identity identity_;
  RegistryClient client_;
  std::unique_ptr<LinkManager> links_;
  // Disk work never runs on the event loop: hashing, reading pieces for others, writing
  // downloads (each download on its own strand).
  asio::thread_pool workers_{2};
  Catalog catalog_;
  std::unique_ptr<ChunkServer> chunk_server_;
  std::vector<std::shared_ptr<Download>> downloads_;  // this session's, oldest first
  std::shared_ptr<RequestBudget> budget_ = std::make_shared<RequestBudget>(Download::kWindow);
  bool kick_posted_ = false;
  // Transfer links being dialed, with whoever else waits for the same one.
  std::map<std::string, std::vector<asio::steady_timer*>> transfer_dials_;
  std::chrono::steady_clock::time_point last_progress_{};
  bool announcing_ = false;
  std::unique_ptr<LineEditor> editor_;
  std::shared_ptr<ScriptReader> script_;
  std::deque<std::optional<std::string>> typed_;  // lines from the editor; nullopt is end of input
  asio::steady_timer line_ready_;
  asio::signal_set signals_;
  std::string user_;
  std::string password_;
  wire::LinkEndpoint endpoint_;
  std::string pin_message_;       // what pinning the server certificate said, to show once logged in
  std::set<std::string> online_;  // for completion
  std::string last_sender_;       // for reply
  std::vector<std::int64_t> acks_;
  bool logged_in_ = false;
  bool sign_up_ = false;  // the next Login creates the account
  bool server_up_ = false;
  bool reconnecting_ = false;
  bool leaving_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
};

}  // namespace parley::peer
