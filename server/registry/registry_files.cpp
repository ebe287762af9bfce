// Registry: the file and chunk index, as logged-in users see it.
#include "server/registry/registry.hpp"

namespace parley::server {

using wire::Status;

Effects Registry::register_file(SessionId session, const wire::RegisterFile& request, std::int64_t now_ms) {
  Effects fx;
  const std::string* me = user_of(session);
  if (!me) return refusal(request.request, Status::not_logged_in, "log in first");
  auto registration = files_.register_file(*me, request, now_ms);
  fx.writes = std::move(registration.writes);  // acknowledged only once durable
  fx.reply = reply_result(request.request, registration.status, std::move(registration.message));
  return fx;
}

Effects Registry::have_chunks(SessionId session, const wire::HaveChunks& have) {
  Effects fx;
  if (const std::string* me = user_of(session)) fx.bookkeeping = files_.set_holding(*me, have);
  return fx;
}

wire::FileInfo Registry::search_file(SessionId session, const wire::SearchFile& request) const {
  const std::string* me = user_of(session);
  if (!me) {
    wire::FileInfo refusal;
    refusal.request = request.request;
    refusal.status = Status::not_logged_in;
    refusal.message = "log in first";
    return refusal;
  }
  return files_.info(request.request, request.name, [&](const std::string& user) {
    return online_.contains(user) && !has_blocked(user, *me);
  });
}

}  // namespace parley::server
