// The block list the server keeps for us: learned after every login (a restarted peer,
// or blocks made from another session, would otherwise be unknown to the front ends),
// then kept up to date by the block and unblock answers.
#include "peer/engine/engine.hpp"
#include "shared/net/async.hpp"

namespace parley::peer {

asio::awaitable<void> Engine::learn_blocked() {
  const wire::Message ask = wire::ListBlocked{};
  auto reply = co_await session_.client().call(ask);
  auto* list = reply ? std::get_if<wire::UserList>(&*reply) : nullptr;
  if (!list || finished_) co_return;  // the server went away: the next login asks again
  std::set<std::string> now(list->users.begin(), list->users.end());
  if (now == blocked_) co_return;
  blocked_ = std::move(now);
  emit(ev::Blocked{{blocked_.begin(), blocked_.end()}, false});
}

void Engine::note_block(const std::string& user, bool now) {
  const bool moved = now ? blocked_.insert(user).second : blocked_.erase(user) > 0;
  if (moved) emit(ev::Blocked{{blocked_.begin(), blocked_.end()}, false});
}

// Asks the server rather than trusting what we kept: another session of ours may have
// changed it.
asio::awaitable<bool> Engine::handle(const cmd::Blocked&) {
  const wire::Message message = wire::ListBlocked{};
  auto reply = co_await request("blocked", message);
  if (!reply || generic_reply("blocked", *reply)) co_return false;
  auto* list = std::get_if<wire::UserList>(&*reply);
  if (!list) co_return false;
  blocked_ = {list->users.begin(), list->users.end()};
  emit(ev::Blocked{list->users, true});
  co_return true;
}

}  // namespace parley::peer
