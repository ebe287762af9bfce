// Direct peer-to-peer links: a TLS listener, dialing out, and the open links by user.
//
// Both sides present their long-lived identity certificate (mutual TLS 1.3). The dialer
// accepts the listener only if its certificate has the fingerprint the server vouched
// for; the listener accepts the dialer only if its first frame carries a token the
// server announced for that user and that certificate (LinkTokens). A pair of peers has
// at most one link per purpose: a chat link carries private messages (acknowledged), a
// transfer link carries chunk pieces; both carry heartbeats and a goodbye.
//
// Everything runs on the peer's one event loop. Links keep working whatever happens to
// the registry connection.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "peer/links/link_tokens.hpp"
#include "shared/net/async.hpp"
#include "shared/net/connection.hpp"
#include "shared/net/tls_context.hpp"
#include "shared/wire/link_messages.hpp"
#include "shared/wire/messages.hpp"
#include "shared/wire/piece_frame.hpp"

namespace parley::peer {

class LinkManager {
 public:
  using Purpose = wire::LinkPurpose;
  struct Events {
    std::function<void(const std::string& user, Purpose purpose, bool dialed_by_me)> on_open;
    std::function<void(const std::string& user, Purpose purpose, const std::string& reason)> on_closed;
    std::function<void(const std::string& user, const wire::PrivateText& text)> on_private;
    // PieceRequest, PieceData or PieceRefused, from the transfer link with `user`.
    std::function<void(const std::string& user, wire::LinkMessage&& message)> on_transfer;
    // PieceData from the transfer link with `user`, its bytes still in the received frame
    // (valid only during the call): pieces are most of what a download receives, and
    // this saves copying each one into a message. Without it, on_transfer gets them.
    std::function<void(const std::string& user, const wire::PieceView& piece)> on_piece;
  };
  struct Settings {
    std::chrono::milliseconds hello_timeout{10'000};   // connect + TLS + hello/welcome
    std::chrono::milliseconds heartbeat_every{8'000};  // when nothing else was sent
    std::chrono::milliseconds dead_after{25'000};      // silence that means the link is gone
    std::chrono::milliseconds ack_timeout{10'000};     // for a private message
    std::chrono::milliseconds transfer_idle{30'000};   // a transfer link with no pieces is closed
    std::int64_t token_lifetime_ms = 30'000;
  };

  LinkManager(asio::any_io_executor executor, const net::Identity& identity, Events events);
  LinkManager(asio::any_io_executor executor, const net::Identity& identity, Events events,
              Settings settings);
  ~LinkManager();
  LinkManager(const LinkManager&) = delete;
  LinkManager& operator=(const LinkManager&) = delete;

  // Starts accepting on address:port (0: any free port); returns the bound port.
  // Throws std::system_error when the address cannot be bound.
  std::uint16_t listen(const std::string& address, std::uint16_t port);
  const std::string& fingerprint() const { return fingerprint_; }
  // Who we are: the name sent when dialing.
  void set_user(std::string user) { user_ = std::move(user); }

  // The server announced a dial from request.from. False: too many are pending.
  bool expect(const wire::LinkRequest& request);
  // The target's part in a link the server routed another way (link_paths.cpp): dials
  // the requester (reverse), or meets it at the relay and takes its hello there (relay).
  // "" once done (for a relay: paired, the hello still to come), else why not.
  asio::awaitable<std::string> answer(const wire::LinkRequest& request);
  // The server will check that our listener answers: with this token, in a LinkProbe.
  void expect_probe(const std::string& token) { probe_token_ = token; }
  // No dial from `user` will be accepted any more (they were blocked).
  void forget(const std::string& user) { tokens_.forget(user); }
  // Says goodbye on every link with `user`, whatever its purpose.
  void close_user(const std::string& user, const std::string& reason_for_them,
                  const std::string& reason_for_us);
  // Opens the link `offer` describes, by the path the server chose: dials the peer, or
  // waits for its dial (reverse), or dials it through the relay. Returns "" once the
  // link is open, else why not. `offer` must outlive the call (g++ 12: a named object).
  asio::awaitable<std::string> dial(const wire::LinkOffer& offer);
  // How the open link with `user` goes (direct if there is none).
  wire::LinkPath path(const std::string& user, Purpose purpose = Purpose::chat) const;

  bool has(const std::string& user, Purpose purpose = Purpose::chat) const {
    return links_.contains({user, purpose});
  }
  std::vector<std::string> users(Purpose purpose = Purpose::chat) const;
  // The other side's certificate fingerprint (SHA-256 of its DER, lowercase hex) on the
  // open link with `user`, for comparing out of band; "" if there is none. Already set
  // when on_open runs.
  std::string peer_fingerprint(const std::string& user) const;

  // Queues a piece message (or its ready-made frame) on the transfer link with `user`;
  // false if there is none.
  bool send_transfer(const std::string& user, const wire::LinkMessage& message);
  bool send_transfer(const std::string& user, wire::SharedFrame frame);

  // Sends `text` and waits for the other side's acknowledgement; "" or why it failed.
  asio::awaitable<std::string> send_private(const std::string& user, const std::string& text);
  // The same with the id chosen by the caller, who may send it again another way.
  asio::awaitable<std::string> send_private(const std::string& user, const std::string& text,
                                            const std::string& msg_id);

  // Says goodbye with `reason_for_them`, closes, and reports `reason_for_us`.
  void close(const std::string& user, const std::string& reason_for_them, const std::string& reason_for_us,
             Purpose purpose = Purpose::chat);
  // Closes every link with a goodbye, waiting (bounded) until the goodbyes are out.
  asio::awaitable<void> close_all(const std::string& reason_for_them, const std::string& reason_for_us);

 private:
  struct Link;
  struct Dial;
  using Key = std::pair<std::string, Purpose>;  // user, purpose

  asio::awaitable<void> accept_loop();
  void accept(asio::ip::tcp::socket socket);
  // link_dial.cpp: hello and welcome over a connected socket.
  // Takes `socket` over (a reference: g++ 12 destroys co_await temporaries twice).
  asio::awaitable<std::string> dial_over(asio::ip::tcp::socket& socket, const wire::LinkOffer& offer);
  // link_paths.cpp
  asio::awaitable<std::string> await_dial(const wire::LinkOffer& offer);
  asio::awaitable<std::optional<asio::ip::tcp::socket>> through_relay(const wire::RelayTicket& relay,
                                                                      const std::string& user,
                                                                      std::string* error);
  void on_probe(const std::shared_ptr<net::Connection>& connection, const wire::LinkProbe& probe);
  asio::awaitable<void> sweep_loop();
  // Expires tokens; closes dead links, idle transfer links and silent newcomers; sends
  // heartbeats on quiet links.
  void sweep(net::Clock::time_point now);
  void adopt(const std::shared_ptr<net::Connection>& connection, net::Role role,
             std::function<std::string()> on_handshake);
  void on_frame(const std::shared_ptr<net::Connection>& connection, std::span<const std::uint8_t> payload);
  // The transfer link `connection` currently speaks for, if it is one.
  Link* transfer_link(const net::Connection* connection);
  void on_hello(const std::shared_ptr<net::Connection>& connection, const wire::LinkHello& hello);
  void on_dial_answer(const std::shared_ptr<net::Connection>& connection, const wire::LinkMessage& message);
  void on_link_message(Link& link, wire::LinkMessage&& message);
  void on_connection_closed(const std::shared_ptr<net::Connection>& connection, const std::string& reason);
  void open_link(const Key& key, const std::shared_ptr<net::Connection>& connection, bool dialed_by_me,
                 wire::LinkPath path);
  void replace_link(Link& existing, const std::shared_ptr<net::Connection>& connection, bool dialed_by_me,
                    wire::LinkPath path);
  void drop_link(const Key& key, const std::string& reason);
  std::vector<Key> keys() const;
  void send(Link& link, const wire::LinkMessage& message);

  asio::any_io_executor executor_;
  asio::ssl::context tls_;
  std::string fingerprint_;
  Events events_;
  Settings settings_;
  std::string user_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  LinkTokens tokens_;
  std::map<Key, std::shared_ptr<Link>> links_;              // open links
  std::unordered_map<const net::Connection*, Key> key_of_;  // open links by connection
  std::unordered_map<const net::Connection*, std::shared_ptr<net::Connection>> incoming_;  // before hello
  std::unordered_map<const net::Connection*, Dial*> dialing_;                              // before welcome
  std::shared_ptr<net::AsyncEvent> connection_closed_;          // shared: close_all may outlive us
  std::shared_ptr<net::AsyncEvent> link_opened_;                // for a reverse dial awaited
  std::string probe_token_;                                     // the server's reachability check
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for callbacks after destruction
  bool stopped_ = false;
};

}  // namespace parley::peer
