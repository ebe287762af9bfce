#include "peer/shell/output.hpp"

#include <fmt/format.h>

#include <ctime>

#include "shared/util/time.hpp"

namespace parley::peer {
namespace {
constexpr const char* kRed = "31";
constexpr const char* kGreen = "32";
constexpr const char* kYellow = "33";
constexpr const char* kMagenta = "35";
constexpr const char* kCyan = "36";
constexpr const char* kDim = "2";

// Control characters from other users must not reach the terminal: they could move the
// cursor, rewrite earlier lines or retitle the window.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '\n' || c == '\t')
      out.push_back(static_cast<char>(c));
    else if (c < 0x20 || c == 0x7f)
      out.append(fmt::format("\\x{:02x}", c));
    else
      out.push_back(static_cast<char>(c));
  }
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

}  // namespace

Output::Output(Style style, std::function<void(const std::string&)> sink)
    : style_(style), sink_(std::move(sink)) {}

std::string Output::iso_time(std::int64_t unix_ms) { return iso_time_utc(unix_ms); }

std::string Output::stamp(std::int64_t unix_ms, bool with_date) const {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, with_date ? "%Y-%m-%d %H:%M" : "%H:%M:%S", &tm);
  return paint(fmt::format("[{}]", buffer), kDim);
}

std::string Output::paint(std::string_view text, const char* color) const {
  if (!style_.color) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", color, text);
}

void Output::emit(const nlohmann::ordered_json& object, const std::string& text) {
  if (style_.json)
    sink_(object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  else
    sink_(text);
}

void Output::login(const std::string& user) {
  emit({{"type", "login"}, {"user", user}},
       fmt::format("{} {}", stamp(now_ms()),
                   paint(fmt::format("logged in as {}. Type help for commands.", user), kGreen)));
}

void Output::logout(const std::string& reason) {
  emit({{"type", "logout"}, {"reason", reason}},
       fmt::format("{} {}", stamp(now_ms()),
                   paint(fmt::format("logged out: {}", printable(reason)), kYellow)));
}

void Output::error(std::string_view command, std::string_view message) {
  emit({{"type", "error"}, {"command", command}, {"message", message}},
       fmt::format("{} {}", stamp(now_ms()), paint(fmt::format("error: {}", printable(message)), kRed)));
}

void Output::info(std::string_view message, nlohmann::ordered_json extra) {
  nlohmann::ordered_json object = {{"type", "info"}, {"message", message}};
  object.update(extra);
  emit(object, fmt::format("{} {}", stamp(now_ms()), paint(printable(message), kDim)));
}

nlohmann::ordered_json Output::chat_json(const wire::ChatEvent& message) {
  nlohmann::ordered_json object = {{"type", "message"},           {"from", message.from},
                                   {"text", message.text},        {"time", iso_time(message.sent_ms)},
                                   {"offline", message.seq != 0}, {"id", message.msg_id}};
  if (!message.to.empty()) object["to"] = message.to;
  return object;
}

void Output::chat(const wire::ChatEvent& message) {
  bool offline = message.seq != 0;
  std::string prefix = paint(message.from, kCyan);
  if (!message.to.empty()) prefix += paint(fmt::format(" (to {})", join(message.to, ", ")), kDim);
  if (offline) prefix += paint(" (while you were away)", kDim);
  emit(chat_json(message),
       fmt::format("{} {}: {}", stamp(message.sent_ms, offline), prefix, printable(message.text)));
}

void Output::broadcast(const wire::BroadcastEvent& message) {
  emit({{"type", "broadcast"},
        {"from", message.from},
        {"text", message.text},
        {"time", iso_time(message.sent_ms)},
        {"id", message.msg_id}},
       fmt::format("{} {} {}: {}", stamp(message.sent_ms), paint("[all]", kMagenta),
                   paint(message.from, kCyan), printable(message.text)));
}

void Output::presence(const wire::PresenceEvent& event) {
  emit(
      {{"type", "presence"}, {"user", event.user}, {"online", event.online}, {"time", iso_time(event.at_ms)}},
      fmt::format(
          "{} {}", stamp(event.at_ms),
          paint(fmt::format("{} {}", event.user, event.online ? "logged in" : "logged out"), kYellow)));
}

void Output::users(std::string_view command, const std::vector<std::string>& users) {
  std::string text = users.empty() ? "nobody" : join(users, ", ");
  emit({{"type", "users"}, {"command", command}, {"users", users}},
       fmt::format("{} {}: {}", stamp(now_ms()), command, text));
}

void Output::help(const std::string& text) { emit({{"type", "help"}, {"text", text}}, text); }

void Output::private_message(const std::string& from, const wire::PrivateText& message) {
  emit({{"type", "private"},
        {"from", from},
        {"text", message.text},
        {"time", iso_time(message.sent_ms)},
        {"id", message.msg_id}},
       fmt::format("{} {} {}: {}", stamp(message.sent_ms), paint("[private]", kMagenta), paint(from, kCyan),
                   printable(message.text)));
}

void Output::link(const std::string& user, bool open, const std::string& reason) {
  emit({{"type", "link"}, {"user", user}, {"state", open ? "open" : "closed"}, {"reason", reason}},
       fmt::format("{} {}", stamp(now_ms()),
                   paint(open ? fmt::format("private link with {} open ({})", user, printable(reason))
                              : fmt::format("private link with {} closed: {}", user, printable(reason)),
                         kGreen)));
}

void Output::server_state(bool up, const std::string& reason) {
  nlohmann::ordered_json object = {{"type", "server"}, {"state", up ? "back" : "lost"}};
  if (!reason.empty()) object["reason"] = reason;
  emit(object, fmt::format("{} {}", stamp(now_ms()),
                           up ? paint("the server is back; logged in again", kGreen)
                              : paint(fmt::format("the server is unreachable ({}); private links still work, "
                                                  "reconnecting in the background",
                                                  printable(reason)),
                                      kRed)));
}

void Output::registered(const std::string& file, std::uint32_t chunks, std::uint64_t size,
                        const std::string& sha256_hex) {
  emit({{"type", "registered"}, {"file", file}, {"chunks", chunks}, {"size", size}, {"sha256", sha256_hex}},
       fmt::format("{} {}", stamp(now_ms()),
                   paint(fmt::format("registered {}: {} bytes in {} chunks, sha256 {}", printable(file), size,
                                     chunks, sha256_hex),
                         kGreen)));
}

void Output::file_search(const std::string& file, const std::vector<std::string>& users) {
  emit({{"type", "file"}, {"file", file}, {"available", !users.empty()}, {"users", users}},
       fmt::format("{} {}: {}", stamp(now_ms()), printable(file),
                   users.empty() ? std::string("Not available") : "Available from " + join(users, ", ")));
}

void Output::chunk_search(const std::string& file,
                          const std::vector<std::pair<std::uint32_t, std::vector<std::string>>>& chunks) {
  nlohmann::ordered_json map = nlohmann::ordered_json::object();
  std::string text;
  for (const auto& [number, users] : chunks) {
    map[std::to_string(number)] = users;
    text += fmt::format("\n  chunk {}: {}", number,
                        users.empty() ? std::string("Not available") : join(users, ", "));
  }
  emit({{"type", "chunks"}, {"file", file}, {"chunks", map}},
       fmt::format("{} {}:{}", stamp(now_ms()), printable(file), text));
}

namespace {

std::string eta_text(const DownloadView& d) {
  if (d.rate <= 0 || d.bytes >= d.total_bytes) return "";
  auto seconds = static_cast<std::int64_t>(static_cast<double>(d.total_bytes - d.bytes) / d.rate + 0.5);
  if (seconds >= 3600) return fmt::format(" ETA {}h{:02}m", seconds / 3600, seconds % 3600 / 60);
  if (seconds >= 60) return fmt::format(" ETA {}m{:02}s", seconds / 60, seconds % 60);
  return fmt::format(" ETA {}s", seconds);
}

}  // namespace

std::string Output::human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string Output::progress_bar(const DownloadView& d, std::size_t width) {
  std::size_t filled = d.total_bytes == 0 ? width
                                          : static_cast<std::size_t>(static_cast<double>(width) *
                                                                     static_cast<double>(d.bytes) /
                                                                     static_cast<double>(d.total_bytes));
  filled = std::min(filled, width);
  return fmt::format("{} [{}{}] {}/{} {} of {} {}/s{}", printable(d.file), std::string(filled, '#'),
                     std::string(width - filled, '-'), d.done, d.total,
                     human_bytes(static_cast<double>(d.bytes)),
                     human_bytes(static_cast<double>(d.total_bytes)), human_bytes(d.rate), eta_text(d));
}

void Output::progress(const DownloadView& d) {
  emit({{"type", "progress"},
        {"file", d.file},
        {"done", d.done},
        {"total", d.total},
        {"bytes", d.bytes},
        {"rate", static_cast<std::uint64_t>(d.rate)},
        {"total_bytes", d.total_bytes}},
       fmt::format("{} {}", stamp(now_ms()), progress_bar(d)));
}

void Output::downloaded(const DownloadView& d) {
  emit({{"type", "downloaded"},
        {"file", d.file},
        {"path", d.path},
        {"chunks", d.done},
        {"sha256", d.sha256},
        {"sources", d.sources},
        {"bytes", d.bytes},
        {"resumed", d.resumed},
        {"fetched", d.fetched}},
       fmt::format(
           "{} {}", stamp(now_ms()),
           paint(fmt::format("downloaded {}: {} chunk{} ({}) into {}{}{}", printable(d.file), d.done,
                             d.done == 1 ? "" : "s", human_bytes(static_cast<double>(d.bytes)),
                             printable(d.path), d.sources.empty() ? "" : ", from " + join(d.sources, ", "),
                             d.resumed == 0 ? "" : fmt::format("; {} were already here", d.resumed)),
                 kGreen)));
}

void Output::downloads(const std::vector<DownloadView>& list) {
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  std::string text = list.empty() ? "no downloads" : "downloads:";
  for (const auto& d : list) {
    nlohmann::ordered_json item = {{"file", d.file},   {"state", d.state},    {"done", d.done},
                                   {"total", d.total}, {"bytes", d.bytes},    {"total_bytes", d.total_bytes},
                                   {"path", d.path},   {"sources", d.sources}};
    if (!d.error.empty()) item["error"] = d.error;
    items.push_back(std::move(item));
    text += fmt::format(
        "\n  {}: {}", d.state,
        d.state == "running"
            ? progress_bar(d)
            : fmt::format("{} {}/{} chunks{}", printable(d.file), d.done, d.total,
                          d.error.empty() ? " in " + printable(d.path) : " (" + printable(d.error) + ")"));
  }
  emit({{"type", "downloads"}, {"downloads", items}}, fmt::format("{} {}", stamp(now_ms()), text));
}

void Output::pong(double ms) {
  // Tenths of a millisecond: loopback round trips are well under one.
  const double rounded = static_cast<double>(static_cast<std::int64_t>(ms * 10 + 0.5)) / 10;
  emit({{"type", "pong"}, {"ms", rounded}},
       fmt::format("{} pong from the server: {:.1f} ms", stamp(now_ms()), ms));
}

void Output::announcement(const std::string& text, std::int64_t sent_ms) {
  emit({{"type", "announcement"}, {"text", text}, {"time", iso_time(sent_ms)}},
       fmt::format("{} {} {}", stamp(sent_ms), paint("[server]", kYellow), printable(text)));
}

}  // namespace parley::peer
