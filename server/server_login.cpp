// Server: password checks and sign-ups through the fair queue of limits/login_throttle.
#include <asio/post.hpp>

#include "server/server.hpp"
#include "shared/util/time.hpp"
#include "shared/wire/limits.hpp"

namespace parley::server {

// Another account's hash, so that checking an unknown name costs what checking a known
// one does (no name enumeration by timing); it can never match, as the caller knows the
// name is unknown. Without any hashed account, checks are instant either way.
const Credential& Server::dummy_credential() {
  if (!dummy_) {
    dummy_ = Credential{Credential::Kind::plaintext, "\x01no account"};
    for (const auto& [name, credential] : credentials_)
      if (credential.kind == Credential::Kind::hashed) {
        dummy_ = credential;
        break;
      }
  }
  return *dummy_;
}

void Server::verify_password(const std::string& user, std::string password, const std::string& remote,
                             std::weak_ptr<void> requester, std::function<void(PasswordCheck)> done) {
  const std::string address = limits::ip_of(remote);
  auto it = credentials_.find(user);
  const bool known = it != credentials_.end();
  auto job = [this, user, address, known, credential = known ? it->second : dummy_credential(),
              password = std::move(password), requester, done]() {
    asio::post(workers_, [this, user, address, known, credential, password, requester, done] {
      // Nobody waits for this answer any more: do not spend a core on it.
      const bool abandoned = requester.expired();
      const bool match = !abandoned && ::parley::server::verify_password(credential, password) && known;
      asio::post(io_, [this, user, address, abandoned, match, done] {
        login_throttle_.finished(user);
        if (match)
          login_throttle_.succeeded(address);
        else if (!abandoned)
          login_throttle_.failed(address, now_ms());
        start_password_checks();
        done(match ? PasswordCheck::match : PasswordCheck::mismatch);
      });
    });
  };
  if (!login_throttle_.enqueue(address, user, std::move(job))) {
    asio::post(io_, [done = std::move(done)] { done(PasswordCheck::busy); });
    return;
  }
  start_password_checks();
}

void Server::start_password_checks() {
  if (stopping_) return;
  for (auto& job : login_throttle_.ready()) job();
}

void Server::create_account(const std::string& user, std::string password, const std::string& remote,
                            std::weak_ptr<void> requester, std::function<void(AccountCreation)> done) {
  const std::string address = limits::ip_of(remote);
  const std::string key = wire::folded_username(user);
  auto busy = [this](std::function<void(AccountCreation)> done) {
    asio::post(io_, [done = std::move(done)] { done({false, "the server is busy; try again in a moment"}); });
  };
  if (signing_up_.contains(key)) return busy(std::move(done));
  auto finish = [this, key, done](AccountCreation outcome) {
    signing_up_.erase(key);
    done(std::move(outcome));
  };
  auto job = [this, user, address, password = std::move(password), requester, finish]() {
    asio::post(workers_, [this, user, address, password, requester, finish] {
      std::optional<std::string> hash;
      if (!requester.expired()) hash = hash_password(password);
      asio::post(io_, [this, user, address, finish, hash = std::move(hash), requester] {
        login_throttle_.finished(user);
        start_password_checks();
        if (!hash || requester.expired()) return finish({false, "nobody is waiting for this account"});
        // Someone may have taken the name (or a case variant of it) meanwhile.
        if (auto why = registry_.sign_up_refusal(user); !why.empty()) return finish({false, why});
        login_throttle_.signed_up(address, now_ms());
        store_->write({op::PutAccount{user, *hash, now_ms()}}, [this, user, hash = *hash, finish](bool ok) {
          if (!ok) return finish({false, "the server could not store the account; try again"});
          credentials_[user] = Credential{Credential::Kind::hashed, hash};
          registry_.add_account(user);
          finish({true, {}});
        });
      });
    });
  };
  if (!login_throttle_.enqueue(address, user, std::move(job))) return busy(std::move(done));
  signing_up_.insert(key);
  start_password_checks();
}

}  // namespace parley::server
