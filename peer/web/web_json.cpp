#include "peer/web/web_json.hpp"

#include "peer/json/json_view.hpp"
#include "shared/util/overloaded.hpp"
#include "shared/util/time.hpp"

namespace parley::peer::web {
namespace {

using Json = nlohmann::ordered_json;

std::string state_of(wire::Status status) {
  if (status == wire::Status::ok) return "delivered";
  if (status == wire::Status::stored_offline) return "stored";
  return "refused";
}

// The line a sent message adds to its conversation; json_view's confirmations follow.
Json own_message(const ev::Sent& e) {
  Json states = Json::object();
  for (const auto& r : e.results) states[r.user] = state_of(r.status);
  Json own = own_message_line(e, sent_state(e.results));
  own["states"] = states;
  return own;
}

Json own_private(const ev::Private& e) {
  Json own = {{"type", "private"},      {"mine", true},
              {"from", e.from},         {"to", e.to},
              {"text", e.message.text}, {"time", iso_time_utc(e.message.sent_ms)},
              {"id", e.message.msg_id}, {"state", "delivered"}};
  if (e.action) own["action"] = true;
  return own;
}

// Your broadcast as a line of the broadcasts conversation (the page adds the time).
Json own_broadcast(const ev::BroadcastSent& e) {
  Json own = {{"type", "broadcast"}, {"mine", true}, {"text", e.text}, {"id", e.id}};
  if (e.action) own["action"] = true;
  return own;
}

}  // namespace

std::string sent_state(const std::vector<wire::RecipientResult>& results) {
  std::string state;
  for (const auto& r : results) {
    const auto one = state_of(r.status);
    if (state.empty())
      state = one;
    else if (state != one)
      return "mixed";
  }
  return state.empty() ? "refused" : state;
}

std::vector<nlohmann::ordered_json> web_json(const Event& event) {
  auto objects = to_json(event);
  std::visit(
      Overloaded{[&](const ev::Sent& e) {
                   // Once, with the answer: a queued line came as json_view's own line, and news
                   // about it (resent) as receipts.
                   if (!e.queued && !e.pending && !e.resent) objects.insert(objects.begin(), own_message(e));
                 },
                 [&](const ev::Private& e) {
                   if (e.mine) objects.insert(objects.begin(), own_private(e));
                 },
                 [&](const ev::BroadcastSent& e) { objects.insert(objects.begin(), own_broadcast(e)); },
                 [&](const ev::Blocked& e) {
                   // The page's user list marks them whether or not anyone asked.
                   if (!e.answer) objects.push_back({{"type", "blocked"}, {"users", e.users}});
                 },
                 [](const auto&) {}},
      event);
  return objects;
}

}  // namespace parley::peer::web
