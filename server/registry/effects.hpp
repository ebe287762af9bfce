// What a registry operation asks the server to do: sends now, writes to commit, and the
// answer that waits for them.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "server/storage/store.hpp"
#include "shared/wire/codec.hpp"
#include "shared/wire/messages.hpp"

namespace parley::server {

using SessionId = std::uint64_t;

// One message, serialized once, for every session in `to`. A `frame` already made is
// sent as it is (the registry keeps the message for later).
struct Outbound {
  std::vector<SessionId> to;
  wire::Message message;
  wire::SharedFrame frame = nullptr;
};

struct Effects {
  std::vector<Outbound> sends;                              // now
  std::vector<std::pair<SessionId, wire::Message>> direct;  // now, each to one session
  std::vector<WriteOp> writes;         // to commit before the reply: what it acknowledges
  std::vector<WriteOp> bookkeeping;    // to commit, but no reply waits for it (login history)
  std::optional<wire::Message> reply;  // to the requester, only once `writes` are committed
};

}  // namespace parley::server
