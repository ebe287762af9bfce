// Everything the peer shows, in one of two renderings: text for people (timestamps,
// optional colours) or one JSON object per line for programs (`--json`, schema in the
// README). Rendering is separate from printing: `sink` decides where lines go (stdout,
// or above the line being edited).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "peer/engine/events.hpp"

namespace parley::peer {

class Output {
 public:
  struct Style {
    bool json = false;
    bool color = false;
  };

  Output(Style style, std::function<void(const std::string&)> sink);

  void login(const std::string& user);
  void logout(const std::string& reason);
  void error(std::string_view command, std::string_view message);
  void info(std::string_view message, nlohmann::ordered_json extra = nlohmann::ordered_json::object());
  void chat(const wire::ChatEvent& message);
  void broadcast(const wire::BroadcastEvent& message);
  void presence(const wire::PresenceEvent& event);
  void users(std::string_view command, const std::vector<std::string>& users);
  void help(const std::string& text);
  void private_message(const std::string& from, const wire::PrivateText& message);
  void link(const std::string& user, bool open, const std::string& reason);
  void server_state(bool up, const std::string& reason);
  void registered(const std::string& file, std::uint32_t chunks, std::uint64_t size,
                  const std::string& sha256_hex);
  void file_search(const std::string& file, const std::vector<std::string>& users);
  // Chunk numbers from 1, each with the users holding it.
  void chunk_search(const std::string& file,
                    const std::vector<std::pair<std::uint32_t, std::vector<std::string>>>& chunks);

  void pong(double ms);
  void announcement(const std::string& text, std::int64_t sent_ms);
  void progress(const DownloadView& d);
  void downloaded(const DownloadView& d);
  void downloads(const std::vector<DownloadView>& list);

  // Pure renderings, for tests.
  // "movie.mkv [#######-----] 12/64 48.0/256.0 MiB 95.3 MiB/s ETA 3s", for the prompt.
  static std::string progress_bar(const DownloadView& d, std::size_t width = 20);
  static std::string human_bytes(double bytes);
  static nlohmann::ordered_json chat_json(const wire::ChatEvent& message);
  static std::string iso_time(std::int64_t unix_ms);

 private:
  void emit(const nlohmann::ordered_json& object, const std::string& text);
  std::string paint(std::string_view text, const char* color) const;
  std::string stamp(std::int64_t unix_ms, bool with_date = false) const;

  Style style_;
  std::function<void(const std::string&)> sink_;
};

}  // namespace parley::peer
