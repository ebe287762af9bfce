#include "server/limit_flags.hpp"

namespace parley::server {

void add_limit_flags(CLI::App& app, ServerConfig& config) {
  auto& f = config.fair_use;
  const auto rate = CLI::Range(0.0, 1e6);
  app.add_option("--messages-per-second", f.messages_per_second, "private and group messages a user may send")
      ->capture_default_str()
      ->check(rate)
      ->group("Fair use");
  app.add_option("--message-burst", f.message_burst,
                 "messages a user may send at once before the rate applies")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6))
      ->group("Fair use");
  app.add_option("--broadcasts-per-second", f.broadcasts_per_second, "broadcasts a user may send")
      ->capture_default_str()
      ->check(rate)
      ->group("Fair use");
  app.add_option("--broadcast-burst", f.broadcast_burst, "broadcasts a user may send at once")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6))
      ->group("Fair use");
  app.add_option("--recipients-per-minute", f.recipients_per_minute,
                 "recipients of a user's messages (a group message counts each)")
      ->capture_default_str()
      ->check(rate)
      ->group("Fair use");
  app.add_option("--link-requests-per-minute", f.link_requests_per_minute,
                 "direct links (chat and transfer) a user may ask for")
      ->capture_default_str()
      ->check(rate)
      ->group("Fair use");
  app.add_option("--max-files-per-user", f.max_files_per_user, "files one user may register")
      ->capture_default_str()
      ->group("Fair use");
  app.add_option("--max-chunks-per-user", f.max_chunks_per_user,
                 "chunks of all the files one user registered")
      ->capture_default_str()
      ->group("Fair use");
  auto& q = config.mailbox_quota;
  app.add_option("--max-offline-per-recipient", q.max_per_recipient,
                 "stored messages that may wait for one recipient")
      ->capture_default_str()
      ->group("Fair use");
  app.add_option("--max-offline-bytes-per-recipient", q.max_bytes_per_recipient,
                 "bytes of stored messages that may wait for one recipient")
      ->capture_default_str()
      ->group("Fair use");
  app.add_option("--max-offline-per-sender", q.max_per_sender, "stored messages one sender may have waiting")
      ->capture_default_str()
      ->group("Fair use");
  app.add_option("--max-offline-bytes-per-sender", q.max_bytes_per_sender,
                 "bytes of stored messages one sender may have waiting")
      ->capture_default_str()
      ->group("Fair use");
  app.add_flag_function(
         "--no-rate-limits", [&f](std::int64_t) { f.rate_limits = false; },
         "no per-second limits (benchmarks on a trusted network); quotas and caps still hold")
      ->group("Fair use");

  auto& c = config.caps;
  app.add_option("--max-connections", c.max_connections, "connections held at once, logged in or not")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->group("Connections and logins");
  app.add_option("--max-prelogin", c.max_prelogin, "connections not logged in yet, from everywhere")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->group("Connections and logins");
  app.add_option("--max-prelogin-per-ip", c.max_prelogin_per_ip,
                 "connections not logged in yet, from one address")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->group("Connections and logins");
  app.add_option_function<std::int64_t>(
         "--login-timeout", [&config](std::int64_t s) { config.login_timeout = std::chrono::seconds(s); },
         "seconds a connection may take to log in (heartbeats do not extend it) (default: 20)")
      ->check(CLI::Range(1, 3600))
      ->group("Connections and logins");
  auto& t = config.login_throttle;
  app.add_option("--sign-ups-per-ip-per-hour", t.sign_ups_per_ip_per_hour, "with --allow-signup")
      ->capture_default_str()
      ->group("Connections and logins");
  app.add_option("--sign-ups-per-hour", t.sign_ups_per_hour, "with --allow-signup, from everywhere")
      ->capture_default_str()
      ->group("Connections and logins");
}

}  // namespace parley::server
