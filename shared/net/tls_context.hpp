// TLS set-up shared by every link: identities (a key pair and a self-signed
// certificate kept in a data directory), certificate fingerprints, and contexts
// restricted to TLS 1.3.
#pragma once

#include <asio/ssl/context.hpp>
#include <filesystem>
#include <string>

typedef struct x509_st X509;

namespace parley::net {

struct Identity {
  std::string certificate_pem;
  std::string private_key_pem;
  std::string fingerprint;  // SHA-256 of the certificate's DER, lowercase hex
};

// Loads `<dir>/<name>.crt` and `<dir>/<name>.key`, or creates them (Ed25519 key,
// self-signed certificate, key file mode 0600) when neither exists. Throws
// std::runtime_error when only one exists or they cannot be read or written.
Identity load_or_create_identity(const std::filesystem::path& dir, const std::string& name,
                                 const std::string& common_name);

// SHA-256 of the DER encoding, lowercase hex.
std::string fingerprint_of(X509* certificate);

// Server side of the registry link: presents `identity`, asks no client certificate.
asio::ssl::context make_server_context(const Identity& identity);

// Client side of the registry link: presents nothing and accepts any certificate during
// the handshake; the caller pins the server by comparing fingerprints afterwards, before
// sending anything.
asio::ssl::context make_client_context();

// Both ends of a direct link, as client or server: presents `identity` and demands a
// certificate from the other side. Any self-signed certificate passes the handshake;
// the caller then checks its fingerprint against the one the server vouched for.
asio::ssl::context make_link_context(const Identity& identity);

// Constant-time comparison of two hex fingerprints (case-insensitive, ':' allowed).
bool fingerprints_equal(const std::string& a, const std::string& b);

}  // namespace parley::net
