#include "peer/web/web_auth.hpp"

#include <openssl/crypto.h>

#include <asio/ip/address.hpp>

#include "shared/util/hex.hpp"
#include "shared/util/parse.hpp"

namespace parley::peer::web {
namespace {

bool same_secret(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool host_allowed(std::string_view host_header, std::string_view bound_host, std::uint16_t port) {
  const auto colon = host_header.rfind(':');
  const auto bracket = host_header.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) return false;
  const auto given_port = parse_decimal<unsigned>(host_header.substr(colon + 1));
  if (!given_port || *given_port != port) return false;
  auto host = host_header.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (host.empty()) return false;
  if (host == "localhost" || host == bound_host) return true;
  std::error_code ec;
  asio::ip::make_address(std::string(host), ec);
  return !ec;
}

bool origin_allowed(std::string_view origin_header, std::string_view host_header) {
  return !host_header.empty() && origin_header.size() == host_header.size() + 7 &&
         origin_header.starts_with("http://") && origin_header.substr(7) == host_header;
}

std::string cookie_value(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const auto semi = cookie_header.find(';');
    auto pair = cookie_header.substr(0, semi);
    cookie_header = semi == std::string_view::npos ? std::string_view{} : cookie_header.substr(semi + 1);
    while (pair.starts_with(' ')) pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return {};
}

Sessions::Sessions(std::string secret, std::string password)
    : secret_(std::move(secret)), password_(std::move(password)) {}

std::string Sessions::open_session() {
  auto token = random_id() + random_id();
  tokens_.insert(token);
  return token;
}

std::string Sessions::redeem_secret(std::string_view secret) {
  std::lock_guard lock(mutex_);
  if (!same_secret(secret, secret_)) return {};
  secret_.clear();
  return open_session();
}

std::string Sessions::redeem_password(std::string_view password) {
  std::lock_guard lock(mutex_);
  if (!same_secret(password, password_)) return {};
  return open_session();
}

bool Sessions::valid(std::string_view token) const {
  std::lock_guard lock(mutex_);
  return !token.empty() && tokens_.contains(token);
}

}  // namespace parley::peer::web
