#include "peer/known_servers.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "shared/net/tls_context.hpp"
#include "shared/util/hex.hpp"

namespace parley::peer {

PinCheck check_server_fingerprint(const std::filesystem::path& file, const std::string& server,
                                  const std::string& fingerprint, const std::string& explicit_fingerprint,
                                  bool pin_new) {
  using Outcome = PinCheck::Outcome;
  if (!explicit_fingerprint.empty()) {
    if (net::fingerprints_equal(explicit_fingerprint, fingerprint))
      return {Outcome::pinned_explicitly, {}, {}};
    return {
        Outcome::explicit_mismatch, explicit_fingerprint,
        fmt::format("server {} presented certificate fingerprint {}, but --server-fingerprint expects {}; "
                    "refusing to connect",
                    server, fingerprint_display(fingerprint), fingerprint_display(explicit_fingerprint))};
  }
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, known;
    if (!(fields >> name >> known) || name != server) continue;
    if (net::fingerprints_equal(known, fingerprint)) return {Outcome::known, {}, {}};
    return {Outcome::changed, known,
            fmt::format("WARNING: the certificate of server {} has CHANGED.\n"
                        "  expected {}\n  received {}\n"
                        "Someone may be intercepting the connection, or the server was reinstalled. "
                        "Refusing to connect. If the change is expected, remove the line for {} from {}",
                        server, fingerprint_display(known), fingerprint_display(fingerprint), server,
                        file.string())};
  }
  if (!pin_new)
    return {Outcome::first_use,
            {},
            fmt::format("first connection to {}: its certificate fingerprint is {}", server,
                        fingerprint_display(fingerprint))};
  return {Outcome::pinned_now, {}, pin_server_fingerprint(file, server, fingerprint)};
}

std::string pin_server_fingerprint(const std::filesystem::path& file, const std::string& server,
                                   const std::string& fingerprint) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::app);
  out << server << " " << fingerprint << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
  return fmt::format("first connection to {}: pinned its certificate fingerprint {} in {}", server,
                     fingerprint_display(fingerprint), file.string());
}

}  // namespace parley::peer
