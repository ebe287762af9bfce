// What the peer is told at start: flags, the config file, the environment. Front ends
// and the engine both read it; nothing here is about terminals or JSON.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace parley::peer {

struct PeerConfig {
  std::string host = "127.0.0.1";
  std::string port = "7878";
  std::string user;
  std::optional<std::string> password;
  std::filesystem::path data_dir;
  std::string server_fingerprint;  // pinned explicitly; empty: trust on first use
  bool json = false;
  bool interactive = false;  // stdin and stdout are a terminal
  bool color = false;
  bool bell = true;  // ring the terminal bell on a private or direct message
  // Direct links: where to listen, and what to tell others to dial. Empty: the address
  // this peer reached the registry from.
  std::string p2p_bind;
  std::uint16_t p2p_port = 0;
  std::string advertise;
  // Files: what this peer shares (registers) and where downloads go.
  std::filesystem::path share_dir = ".";
  std::filesystem::path download_dir = "downloads";
  std::uint64_t upload_limit = 0;  // bytes per second to other peers, all together; 0: no limit
  bool sign_up = false;            // scripts: create the account if the name is free
  int history_days = 365;          // the peer's own history is kept this long; 0: forever
  bool fallback = false;           // a direct message that was not acknowledged goes through the server
  // The local web UI (--web): off while web_port is empty; port "0" picks a free one.
  std::string web_host = "127.0.0.1";
  std::string web_port;
  bool web_allow_remote = false;  // a non-loopback web_host was asked for on purpose
  std::string web_password;       // required with web_allow_remote
  bool no_shell = false;          // no terminal front end: the web UI only, until a signal
};

}  // namespace parley::peer
