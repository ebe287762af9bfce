#include "peer/shell/text_view.hpp"

#include <fmt/format.h>

#include <ctime>

#include "peer/shell/text_view_parts.hpp"
#include "peer/wording.hpp"
#include "shared/util/hex.hpp"
#include "shared/util/time.hpp"

namespace parley::peer {
namespace text {

Painter::Painter(const TextStyle& style) : style_(style), now_(style.clock ? style.clock() : now_ms()) {}

std::string local_time(std::int64_t unix_ms, const char* format) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, format, &tm);
  return buffer;
}

std::string Painter::stamp(std::int64_t unix_ms, bool with_date) const {
  return paint(fmt::format("[{}]", local_time(unix_ms, with_date ? "%Y-%m-%d %H:%M" : "%H:%M:%S")), kDim);
}

std::string Painter::line(std::string_view body) const { return fmt::format("{} {}", stamp(now_), body); }

std::string Painter::paint(std::string_view text, std::string_view color) const {
  return text::paint(text, color, style_.color);
}

std::string Painter::name(std::string_view user) const {
  return paint(printable(user, false), name_color(user));
}

std::string Painter::names(const std::vector<std::string>& users) const {
  std::string out;
  for (const auto& user : users) out += (out.empty() ? "" : ", ") + name(user);
  return out;
}

std::string Painter::you() const { return paint("you", kBold); }

std::string Painter::self() const { return style_.self.empty() ? you() : name(style_.self); }

}  // namespace text

namespace {

using text::kDim, text::kGreen, text::kMagenta, text::kRed, text::kYellow, text::Painter, text::printable;

// A short quote of our message, for news about it that comes lines after it.
std::string quote(std::string_view text) {
  return fmt::format(" (\"{}\")", text::fit_columns(printable(text, false), 40));
}

std::string receipt_note(const Painter& p, const std::string& state, const std::vector<std::string>& users) {
  const std::string who = text::plain_list(users);
  if (state == "delivered") return p.paint("✓ delivered to " + who, kDim);
  return p.paint(fmt::format("stored for {} (not on their device yet)", who), kDim);
}

// What the server answered for a message we sent, as a note under its line: "✓ delivered
// to bob", "stored for carol (not on their device yet)", or why it was not sent.
std::string answer_note(const Painter& p, const ev::Sent& e) {
  std::vector<std::string> delivered, stored, refused;
  for (const auto& r : e.results) {
    if (r.status == wire::Status::ok)
      delivered.push_back(r.user);
    else if (r.status == wire::Status::stored_offline)
      stored.push_back(r.user);
    else
      refused.push_back(printable(wording::refusal(r), false));
  }
  std::vector<std::string> parts;
  if (!delivered.empty()) parts.push_back(receipt_note(p, "delivered", delivered));
  if (!stored.empty()) parts.push_back(receipt_note(p, "stored", stored));
  for (const auto& why : refused) parts.push_back(p.paint("not sent: " + why, kRed));
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : p.paint("; ", kDim)) + part;
  if (e.resent) out += p.paint(quote(e.text), kDim);
  return p.line(out);
}

std::string ring(const Painter& p, std::string line, bool live) {
  if (p.style().bell && live) line += '\a';
  return line;
}

std::string logged_out(const Painter& p, const ev::LoggedOut& e) {
  const std::string reason = printable(e.reason, false);
  std::string text = reason.empty() || reason == "logged out" ? "logged out"
                     : reason.starts_with("logged out")       ? reason
                                                              : "logged out: " + reason;
  if (e.can_log_in_again) text += " — press Enter or type login to log back in";
  return p.line(p.paint(text, kYellow));
}

std::string chat(const Painter& p, const ev::Chat& e) {
  const auto& m = e.message;
  const bool offline = m.offline;
  std::string after;
  if (!m.to.empty()) after += p.paint(fmt::format(" (to {})", text::plain_list(m.to)), kDim);
  if (offline) after += p.paint(" (while you were away)", kDim);
  const std::string stamp = p.stamp(m.sent_ms, offline);
  const std::string body = printable(m.text);
  if (e.action) return ring(p, fmt::format("{} * {} {}{}", stamp, p.name(m.from), body, after), !offline);
  return ring(p, fmt::format("{} {}{}: {}", stamp, p.name(m.from), after, body), !offline);
}

// Our line at once, marked "…" until the server answers; the answer is a note of its own,
// so nothing printed before is repainted.
std::string sent(const Painter& p, const ev::Sent& e) {
  if (e.queued && e.resent)
    return p.line(p.paint(fmt::format("no answer from the server: queued, it goes out again when the server "
                                      "is back{}",
                                      quote(e.text)),
                          kYellow));
  if (!e.queued && !e.pending) return answer_note(p, e);
  const std::string stamp = p.stamp(e.sent_ms != 0 ? e.sent_ms : p.now());
  const std::string state =
      e.queued ? p.paint("queued: it goes out when the server is back", kYellow) : p.paint("…", kDim);
  if (e.action)
    return fmt::format("{} * {} {} (to {}) {}", stamp, p.self(), printable(e.text), p.names(e.to), state);
  if (e.queued)
    return fmt::format("{} {} → {}: {} ({})", stamp, p.you(), p.names(e.to), printable(e.text), state);
  return fmt::format("{} {} → {}: {} {}", stamp, p.you(), p.names(e.to), printable(e.text), state);
}

std::string receipt(const Painter& p, const ev::Receipt& e) {
  return p.line(receipt_note(p, e.state, {e.to}) + (e.text.empty() ? "" : p.paint(quote(e.text), kDim)));
}

// One line per message kept, oldest first, with the date: history goes back days.
std::string history(const Painter& p, const ev::History& e) {
  if (e.messages.empty())
    return p.line(e.user.empty() ? "no history yet" : "no history with " + p.name(e.user));
  std::string out;
  for (const auto& m : e.messages) {
    if (!out.empty()) out += '\n';
    const std::string who = m.mine ? p.you() : m.from.empty() ? p.paint("[server]", kYellow) : p.name(m.from);
    const std::string to = m.kind == "broadcast"     ? " → all"
                           : m.mine && !m.to.empty() ? " → " + p.names(m.to)
                                                     : "";
    const std::string state = m.mine ? " (" + m.state + ")" : "";
    out += m.action
               ? fmt::format("{} * {}{} {}{}", p.stamp(m.time_ms, true), who, to, printable(m.text), state)
               : fmt::format("{} {}{}: {}{}", p.stamp(m.time_ms, true), who, to, printable(m.text), state);
  }
  return out;
}

std::string broadcast_sent(const Painter& p, const ev::BroadcastSent& e) {
  std::string state = wording::broadcast_sent(e.delivered);
  if (e.some_skipped) state += "; some online users did not receive it";
  state = p.paint(fmt::format(" ({})", state), e.some_skipped ? kYellow : kDim);
  const std::string all = p.paint("[all]", kMagenta);
  if (e.action) return p.line(fmt::format("{} * {} {}{}", all, p.self(), printable(e.text), state));
  return p.line(fmt::format("{} {}: {}{}", all, p.you(), printable(e.text), state));
}

std::string private_message(const Painter& p, const ev::Private& e) {
  const std::string head = fmt::format("{} {}", p.stamp(e.message.sent_ms), p.paint("[direct]", kMagenta));
  const std::string body = printable(e.message.text);
  if (e.mine && e.action) return fmt::format("{} * {} {} (to {})", head, p.self(), body, p.name(e.to));
  if (e.mine) return fmt::format("{} {} → {}: {}", head, p.you(), p.name(e.to), body);
  if (e.action) return ring(p, fmt::format("{} * {} {}", head, p.name(e.from), body), true);
  return ring(p, fmt::format("{} {}: {}", head, p.name(e.from), body), true);
}

std::string users(const Painter& p, const ev::Users& e) {
  const bool since = e.command == "whoelsesince";
  const std::string today = text::local_time(p.now(), "%Y-%m-%d");
  std::string list;
  for (const auto& u : e.users) {
    list += (list.empty() ? "" : ", ") + p.name(u.user);
    if (!since || u.last_seen_ms == 0) continue;
    const bool same_day = text::local_time(u.last_seen_ms, "%Y-%m-%d") == today;
    list += p.paint(fmt::format(" (last seen {})",
                                text::local_time(u.last_seen_ms, same_day ? "%H:%M:%S" : "%Y-%m-%d %H:%M")),
                    kDim);
  }
  return p.line(fmt::format("{}: {}", e.command, list.empty() ? "nobody" : list));
}

std::string link(const Painter& p, const ev::Link& e) {
  const std::string user = printable(e.user, false), reason = printable(e.reason, false);
  if (!e.open) return p.line(p.paint(fmt::format("private link with {} closed: {}", user, reason), kGreen));
  const std::string how = e.path.empty() || e.path == "direct" ? "" : ", " + wording::path_words(e.path);
  std::string out =
      p.line(p.paint(fmt::format("private link with {} open ({}{})", user, reason, how), kGreen));
  if (!e.fingerprint.empty())
    out += "\n" +
           p.line(fmt::format("{}'s certificate fingerprint: {}", user, fingerprint_display(e.fingerprint)));
  return out;
}

std::string server(const Painter& p, const ev::Server& e) {
  if (e.up) return p.line(p.paint("the server is back; logged in again", kGreen));
  return p.line(p.paint(fmt::format("the server is unreachable ({}); private links still work, "
                                    "reconnecting in the background",
                                    printable(e.reason, false)),
                        kRed));
}

struct Renderer {
  const Painter& p;

  std::string operator()(const ev::LoggedIn& e) const {
    std::string out =
        p.line(p.paint(fmt::format("logged in as {}. Type help for commands.", e.user), kGreen));
    if (!e.p2p.empty()) out += "\n" + p.line(p.paint(wording::listening(e.p2p, e.fingerprint), kDim));
    return out;
  }
  std::string operator()(const ev::LoggedOut& e) const { return logged_out(p, e); }
  std::string operator()(const ev::Error& e) const {
    return p.line(p.paint("error: " + printable(e.message), kRed));
  }
  std::string operator()(const ev::Notice& e) const { return p.line(p.paint(printable(e.message), kDim)); }
  std::string operator()(const ev::Chat& e) const { return chat(p, e); }
  std::string operator()(const ev::Sent& e) const { return sent(p, e); }
  std::string operator()(const ev::Receipt& e) const { return receipt(p, e); }
  std::string operator()(const ev::History& e) const { return history(p, e); }
  std::string operator()(const ev::Broadcast& e) const {
    const auto& m = e.message;
    const std::string head = fmt::format("{} {}", p.stamp(m.sent_ms), p.paint("[all]", kMagenta));
    if (e.action) return fmt::format("{} * {} {}", head, p.name(m.from), printable(m.text));
    return fmt::format("{} {}: {}", head, p.name(m.from), printable(m.text));
  }
  std::string operator()(const ev::BroadcastSent& e) const { return broadcast_sent(p, e); }
  std::string operator()(const ev::Presence& e) const {
    const auto& event = e.event;
    return fmt::format("{} {} {}", p.stamp(event.at_ms), p.name(event.user),
                       p.paint(event.online ? "logged in" : "logged out", kYellow));
  }
  std::string operator()(const ev::Users& e) const { return users(p, e); }
  std::string operator()(const ev::Help& e) const { return e.text; }
  std::string operator()(const ev::Private& e) const { return private_message(p, e); }
  std::string operator()(const ev::Link& e) const { return link(p, e); }
  std::string operator()(const ev::Server& e) const { return server(p, e); }
  std::string operator()(const ev::Registered& e) const { return text::registered(p, e); }
  std::string operator()(const ev::FileFound& e) const { return text::file_found(p, e); }
  std::string operator()(const ev::Chunks& e) const { return text::chunks(p, e); }
  std::string operator()(const ev::Pong& e) const {
    return p.line(fmt::format("pong from the server: {:.1f} ms", e.ms));
  }
  std::string operator()(const ev::Announcement& e) const {
    return fmt::format("{} {} {}", p.stamp(e.sent_ms), p.paint("[server]", kYellow), printable(e.text));
  }
  std::string operator()(const ev::DownloadStarted& e) const { return text::download_started(p, e); }
  std::string operator()(const ev::Progress& e) const { return text::progress(p, e); }
  std::string operator()(const ev::Running&) const { return ""; }  // the shell's status line
  std::string operator()(const ev::Downloaded& e) const { return text::downloaded(p, e); }
  std::string operator()(const ev::Downloads& e) const { return text::downloads(p, e); }
  std::string operator()(const ev::Uploads& e) const { return text::uploads(p, e); }
  std::string operator()(const ev::IdleWarning& e) const {
    return p.line(p.paint(wording::idle_warning(e.seconds), kYellow));
  }
  std::string operator()(const ev::Blocked& e) const {
    if (!e.answer) return "";  // learned after login, or a block already confirmed
    std::string list;
    for (const auto& u : e.users) list += (list.empty() ? "" : ", ") + p.name(u);
    return p.line(fmt::format("blocked: {}", list.empty() ? "nobody" : list));
  }
  std::string operator()(const ev::Fingerprint& e) const {
    const std::string whose = e.mine ? "your" : printable(e.user, false) + "'s";
    return p.line(fmt::format("{} certificate fingerprint: {}", whose, fingerprint_display(e.fingerprint)));
  }
};

}  // namespace

std::string render(const Event& event, const TextStyle& style) {
  const Painter painter(style);
  return std::visit(Renderer{painter}, event);
}

}  // namespace parley::peer
