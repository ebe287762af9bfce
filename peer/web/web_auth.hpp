// Who may use the web UI, as Syncthing, qBittorrent and Transmission's DNS-rebinding fix
// (CVE-2018-5702) learned it: only requests addressed to this peer by an address (a
// page on another site that rebinds its own name to 127.0.0.1 sends that name as Host),
// state changes only from the UI's own origin, and a session cookie that only the
// one-time secret of the printed link (or the web password) hands out.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace parley::peer::web {

inline constexpr std::string_view kApiHeader = "X-Parley";  // every API call: cannot come from a form
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Host is an IP address, "localhost" or the host the UI was bound to, with the bound port.
bool host_allowed(std::string_view host_header, std::string_view bound_host, std::uint16_t port);
// A state-changing request came from a page of this UI: Origin is http://<Host>.
bool origin_allowed(std::string_view origin_header, std::string_view host_header);
// The value of cookie `name` in a Cookie header, or empty.
std::string cookie_value(std::string_view cookie_header, std::string_view name);

// The secret of the printed link (used once) and the sessions it and the password open.
// Called from the HTTP server's threads.
class Sessions {
 public:
  Sessions(std::string secret, std::string password);
  // A new session token if `secret` is the link's and was not used yet.
  std::string redeem_secret(std::string_view secret);
  std::string redeem_password(std::string_view password);
  bool valid(std::string_view token) const;
  bool has_password() const { return !password_.empty(); }

 private:
  std::string open_session();

  mutable std::mutex mutex_;
  std::string secret_;  // empty once used
  const std::string password_;
  std::set<std::string, std::less<>> tokens_;
};

}  // namespace parley::peer::web
