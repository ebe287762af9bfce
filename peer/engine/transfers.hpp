// Files, for the engine: registering and searching, downloads (several at once, sharing
// one request budget), routing the pieces that arrive on transfer links to the download
// or the chunk server they belong to, and telling the registry what this peer holds.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peer/commands.hpp"
#include "peer/download/download.hpp"
#include "peer/engine/config.hpp"
#include "peer/engine/events.hpp"
#include "peer/engine/registry_session.hpp"
#include "peer/links/link_manager.hpp"
#include "peer/sharing/catalog.hpp"
#include "peer/sharing/chunk_server.hpp"
#include "shared/net/async.hpp"

namespace parley::peer {

class Transfers {
 public:
  using Emit = std::function<void(Event)>;

  Transfers(asio::any_io_executor loop, const PeerConfig& config, LinkManager& links,
            RegistrySession& session, Emit emit);
  ~Transfers();

  asio::awaitable<bool> register_file(const cmd::Register& command);
  asio::awaitable<bool> search_file(const cmd::SearchFile& command);
  asio::awaitable<bool> search_chunks(const cmd::SearchChunk& command);
  // Checks the file is known (and the chunks exist), then downloads in the background.
  asio::awaitable<bool> download(const cmd::Download& command);
  void list_downloads();
  void list_uploads();
  // Until no download is running.
  asio::awaitable<void> wait_all();
  bool any_running() const;

  // From the transfer links.
  void on_transfer(const std::string& user, wire::LinkMessage&& message);
  void on_piece(const std::string& user, const wire::PieceView& piece);
  void on_transfer_closed(const std::string& user);

  // After every login: the server forgot what we hold.
  asio::awaitable<void> announce_holdings();

  // Names for completion: what the catalog and the share folder hold.
  std::vector<std::string> file_names() const;

 private:
  asio::awaitable<std::optional<wire::FileInfo>> find_file(std::string_view command, const std::string& name);
  asio::awaitable<std::optional<wire::FileInfo>> lookup_file(const std::string& name, std::string* error);
  asio::awaitable<std::optional<wire::FileInfo>> lookup_once(
      std::shared_ptr<std::optional<wire::FileInfo>> known, const std::string& name, std::string* error);
  asio::awaitable<void> announce_round();
  asio::awaitable<std::string> open_transfer_link(const std::string& user);
  Download::Env download_env(std::shared_ptr<std::optional<wire::FileInfo>> known);
  void on_have(const FileMeta& meta, const std::filesystem::path& path, const std::string& have,
               bool complete);
  void on_progress(const Download& download, bool final);
  void on_end(const Download& download);
  void error(std::string_view command, std::string message) {
    emit_(ev::Error{std::string(command), std::move(message)});
  }
  std::vector<DownloadView> running_views() const;

  asio::any_io_executor loop_;
  const PeerConfig& config_;
  LinkManager& links_;
  RegistrySession& session_;
  Emit emit_;
  // Disk work never runs on the event loop: hashing, reading pieces for others, writing
  // downloads (each download on its own strand).
  asio::thread_pool workers_{2};
  Catalog catalog_;
  std::unique_ptr<ChunkServer> chunk_server_;
  std::vector<std::shared_ptr<Download>> downloads_;  // this session's, oldest first
  std::shared_ptr<RequestBudget> budget_ = std::make_shared<RequestBudget>(Download::kWindow);
  bool kick_posted_ = false;
  // Transfer links being dialed: whoever else waits for the same one waits on its event.
  std::map<std::string, std::shared_ptr<net::AsyncEvent>> transfer_dials_;
  struct Shown {
    std::chrono::steady_clock::time_point at{};
    std::uint32_t done = 0;
  };
  std::map<const Download*, Shown> shown_progress_;  // the last progress line of each
  net::AsyncEvent download_ended_;
  bool announcing_ = false;
  bool announce_again_ = false;
};

// A download as front ends show it.
DownloadView view_of(const Download& download);

}  // namespace parley::peer
