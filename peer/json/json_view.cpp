#include "peer/json/json_view.hpp"

#include <fmt/format.h>

#include "peer/wording.hpp"
#include "shared/util/time.hpp"

namespace parley::peer {
namespace {

using Json = nlohmann::ordered_json;
using Objects = std::vector<Json>;

Json info(const std::string& message, const Json& extra = Json::object()) {
  Json object = {{"type", "info"}, {"message", message}};
  object.update(extra);
  return object;
}

Json error(const std::string& command, const std::string& message) {
  return {{"type", "error"}, {"command", command}, {"message", message}};
}

void mark_action(Json& object, bool action) {
  if (action) object["action"] = true;
}

Json receipt(const ev::Receipt& r) {
  return {{"type", "receipt"}, {"id", r.id}, {"to", r.to}, {"state", r.state}};
}

Json value_of(const ev::Value& value) {
  return std::visit([](const auto& v) { return Json(v); }, value);
}

// Ordered as they always were; fields added since come last.
Json download_row(const DownloadView& d) {
  Json row = {{"file", d.file},   {"state", d.state},    {"done", d.done},
              {"total", d.total}, {"bytes", d.bytes},    {"total_bytes", d.total_bytes},
              {"path", d.path},   {"sources", d.sources}};
  if (!d.error.empty()) row["error"] = d.error;
  row["rate"] = static_cast<std::uint64_t>(d.rate);
  if (!d.whole_file || !d.chunks.empty()) row["chunks"] = d.chunks;
  if (!d.paths.empty()) {
    Json paths = Json::object();
    for (const auto& [user, path] : d.paths) paths[user] = path;
    row["paths"] = paths;
  }
  return row;
}

struct Renderer {
  Objects operator()(const ev::LoggedIn& e) const {
    Objects out{{{"type", "login"}, {"user", e.user}}};
    if (!e.p2p.empty())
      out.push_back(
          info(wording::listening(e.p2p, e.fingerprint), {{"p2p", e.p2p}, {"fingerprint", e.fingerprint}}));
    return out;
  }
  Objects operator()(const ev::LoggedOut& e) const {
    Json object = {{"type", "logout"}, {"reason", e.reason}};
    if (e.can_log_in_again) object["can_log_in"] = true;
    return {object};
  }
  Objects operator()(const ev::Error& e) const { return {error(e.command, e.message)}; }
  Objects operator()(const ev::Notice& e) const {
    Json extra = Json::object();
    for (const auto& [key, value] : e.fields) extra[key] = value_of(value);
    return {info(e.message, extra)};
  }
  Objects operator()(const ev::Chat& e) const {
    const auto& m = e.message;
    Json object = {{"type", "message"},    {"from", m.from},
                   {"text", m.text},       {"time", iso_time_utc(m.sent_ms)},
                   {"offline", m.offline}, {"id", m.msg_id}};
    if (!m.to.empty()) object["to"] = m.to;
    mark_action(object, e.action);
    return {object};
  }
  Objects operator()(const ev::Sent& e) const {
    if (e.pending) return {};  // what matters to a script is the answer
    if (e.queued) return {own_message_line(e, "queued")};
    Objects out;
    for (const auto& r : e.results) {
      if (r.status == wire::Status::ok)
        out.push_back(info(wording::delivered_to(r.user), {{"user", r.user}, {"status", "delivered"}}));
      else if (r.status == wire::Status::stored_offline)
        out.push_back(info(wording::stored_for(r.user), {{"user", r.user}, {"status", "stored"}}));
      else
        out.push_back(error(e.command, wording::refusal(r)));
    }
    for (const auto& r : e.receipts) out.push_back(receipt(r));
    return out;
  }
  Objects operator()(const ev::Receipt& e) const { return {receipt(e)}; }
  Objects operator()(const ev::Broadcast& e) const {
    const auto& m = e.message;
    Json object = {{"type", "broadcast"},
                   {"from", m.from},
                   {"text", m.text},
                   {"time", iso_time_utc(m.sent_ms)},
                   {"id", m.msg_id}};
    mark_action(object, e.action);
    return {object};
  }
  Objects operator()(const ev::BroadcastSent& e) const {
    Objects out{info(wording::broadcast_sent(e.delivered), {{"delivered", e.delivered}})};
    if (e.some_skipped) out.push_back(info(wording::kSomeSkipped, {{"warning", true}}));
    return out;
  }
  Objects operator()(const ev::Presence& e) const {
    const auto& p = e.event;
    return {{{"type", "presence"}, {"user", p.user}, {"online", p.online}, {"time", iso_time_utc(p.at_ms)}}};
  }
  Objects operator()(const ev::Users& e) const {
    std::vector<std::string> names;
    Json last_seen = Json::object();
    for (const auto& u : e.users) {
      names.push_back(u.user);
      if (u.last_seen_ms != 0) last_seen[u.user] = iso_time_utc(u.last_seen_ms);
    }
    Json object = {{"type", "users"}, {"command", e.command}, {"users", names}};
    if (e.command == "whoelsesince") object["last_seen"] = last_seen;
    return {object};
  }
  Objects operator()(const ev::Help& e) const { return {{{"type", "help"}, {"text", e.text}}}; }
  Objects operator()(const ev::Private& e) const {
    if (e.mine) return {info(wording::private_delivered(e.to), {{"user", e.to}, {"status", "delivered"}})};
    Json object = {{"type", "private"},
                   {"from", e.from},
                   {"text", e.message.text},
                   {"time", iso_time_utc(e.message.sent_ms)},
                   {"id", e.message.msg_id}};
    mark_action(object, e.action);
    return {object};
  }
  Objects operator()(const ev::Link& e) const {
    Json object = {
        {"type", "link"}, {"user", e.user}, {"state", e.open ? "open" : "closed"}, {"reason", e.reason}};
    if (e.open && !e.fingerprint.empty()) object["fingerprint"] = e.fingerprint;
    if (e.open && !e.path.empty()) object["path"] = e.path;
    return {object};
  }
  Objects operator()(const ev::Server& e) const {
    Json object = {{"type", "server"}, {"state", e.up ? "back" : "lost"}};
    if (!e.reason.empty()) object["reason"] = e.reason;
    return {object};
  }
  Objects operator()(const ev::Registered& e) const {
    return {{{"type", "registered"},
             {"file", e.file},
             {"chunks", e.chunks},
             {"size", e.size},
             {"sha256", e.sha256}}};
  }
  Objects operator()(const ev::FileFound& e) const {
    return {{{"type", "file"}, {"file", e.file}, {"available", !e.users.empty()}, {"users", e.users}}};
  }
  Objects operator()(const ev::Chunks& e) const {
    Json map = Json::object();
    for (const auto& [number, users] : e.chunks) map[std::to_string(number)] = users;
    return {{{"type", "chunks"}, {"file", e.file}, {"chunks", map}}};
  }
  Objects operator()(const ev::Pong& e) const {
    // Tenths of a millisecond: loopback round trips are well under one.
    const double rounded = static_cast<double>(static_cast<std::int64_t>(e.ms * 10 + 0.5)) / 10;
    return {{{"type", "pong"}, {"ms", rounded}}};
  }
  Objects operator()(const ev::Announcement& e) const {
    return {{{"type", "announcement"}, {"text", e.text}, {"time", iso_time_utc(e.sent_ms)}}};
  }
  Objects operator()(const ev::DownloadStarted& e) const {
    return {info(wording::downloading(e.download), {{"file", e.download.file}, {"state", "started"}})};
  }
  Objects operator()(const ev::Running&) const { return {}; }  // for status lines only
  Objects operator()(const ev::Progress& e) const {
    const auto& d = e.download;
    return {{{"type", "progress"},
             {"file", d.file},
             {"done", d.done},
             {"total", d.total},
             {"bytes", d.bytes},
             {"rate", static_cast<std::uint64_t>(d.rate)},
             {"total_bytes", d.total_bytes}}};
  }
  Objects operator()(const ev::Downloaded& e) const {
    const auto& d = e.download;
    if (d.state == "failed") return {error("download", d.error)};
    return {{{"type", "downloaded"},
             {"file", d.file},
             {"path", d.path},
             {"chunks", d.done},
             {"sha256", d.sha256},
             {"sources", d.sources},
             {"bytes", d.bytes},
             {"resumed", d.resumed},
             {"fetched", d.fetched}}};
  }
  Objects operator()(const ev::Downloads& e) const {
    Json rows = Json::array();
    for (const auto& d : e.downloads) rows.push_back(download_row(d));
    return {{{"type", "downloads"}, {"downloads", rows}}};
  }
  Objects operator()(const ev::Uploads& e) const {
    Json rows = Json::array();
    for (const auto& u : e.uploads)
      rows.push_back({{"user", u.user},
                      {"file", u.file},
                      {"bytes", u.bytes},
                      {"rate", static_cast<std::uint64_t>(u.rate)}});
    return {{{"type", "uploads"}, {"uploads", rows}}};
  }
  Objects operator()(const ev::IdleWarning& e) const {
    return {info(wording::idle_warning(e.seconds), {{"idle_logout_in", e.seconds}})};
  }
  // Only the answer to `blocked`: the list learned after login or changed by a block is
  // news for a user list (the web UI's), not a line for scripts.
  Objects operator()(const ev::Blocked& e) const {
    if (!e.answer) return {};
    return {{{"type", "blocked"}, {"users", e.users}}};
  }
  Objects operator()(const ev::Fingerprint& e) const {
    return {{{"type", "fingerprint"}, {"user", e.user}, {"fingerprint", e.fingerprint}, {"mine", e.mine}}};
  }
  Objects operator()(const ev::History& e) const {
    Json lines = Json::array();
    for (const auto& m : e.messages) {
      Json line = {{"id", m.msg_id},
                   {"kind", m.kind},
                   {"from", m.from},
                   {"to", m.to},
                   {"text", m.text},
                   {"mine", m.mine},
                   {"time", iso_time_utc(m.time_ms)},
                   {"state", m.state}};
      mark_action(line, m.action);
      lines.push_back(std::move(line));
    }
    Json object = {{"type", "history"}, {"messages", lines}};
    if (!e.user.empty()) object["user"] = e.user;
    return {object};
  }
};

}  // namespace

std::vector<nlohmann::ordered_json> to_json(const Event& event) { return std::visit(Renderer{}, event); }

nlohmann::ordered_json own_message_line(const ev::Sent& e, const std::string& state) {
  Json own = {
      {"type", "message"}, {"mine", true},  {"to", e.to}, {"text", e.text}, {"time", iso_time_utc(e.sent_ms)},
      {"id", e.id},        {"state", state}};
  mark_action(own, e.action);
  return own;
}

std::string json_line(const nlohmann::ordered_json& object) {
  return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace parley::peer
