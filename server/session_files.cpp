// Session: file searches, whose chunk digests come from the store (the registry keeps
// none in memory, so neither memory nor start-up grows with the files registered).
#include "server/server.hpp"
#include "server/session.hpp"

namespace parley::server {

void Session::search_file(const wire::SearchFile& request) {
  auto info = server_.registry().search_file(id_, request);
  if (!request.with_hashes || info.status != wire::Status::ok) return send(info);
  std::weak_ptr<Session> weak = shared_from_this();
  server_.store().fetch_chunk_hashes(
      request.name, [weak, info = std::move(info)](std::vector<std::string> hashes) mutable {
        auto self = weak.lock();
        if (!self || self->phase_ != Phase::active) return;
        if (hashes.size() != info.chunk_count) {
          const auto id = info.request;
          info = wire::FileInfo{};
          info.request = id;
          info.status = wire::Status::internal;
          info.message = "the server could not read this file's digests; try again";
        } else {
          info.chunk_hashes = std::move(hashes);
        }
        self->send(info);
      });
}

}  // namespace parley::server
