#include "shared/net/tls_context.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "shared/util/hex.hpp"

namespace parley::net {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("TLS identity: " + what); }

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  // O_EXCL: never follow or clobber something an attacker planted at that path.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) fail("cannot create " + path.string());
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) {
      ::close(fd);
      fail("cannot write " + path.string());
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
}

X509Ptr parse_certificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) fail("unreadable certificate");
  return cert;
}

Identity create_identity(const std::string& common_name) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) fail("key generation failed");
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("RAND_bytes failed");
  serial[0] &= 0x7f;  // a positive serial number
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 20L * 365 * 24 * 60 * 60);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), nullptr) == 0) fail("signing failed");  // Ed25519 takes no digest

  Identity id;
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  id.certificate_pem = bio_string(cert_bio.get());
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  id.private_key_pem = bio_string(key_bio.get());
  id.fingerprint = fingerprint_of(cert.get());
  return id;
}

}  // namespace

std::string fingerprint_of(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) fail("digest failed");
  return to_hex(std::span<const std::uint8_t>(digest, length));
}

Identity load_or_create_identity(const std::filesystem::path& dir, const std::string& name,
                                 const std::string& common_name) {
  auto cert_path = dir / (name + ".crt");
  auto key_path = dir / (name + ".key");
  bool have_cert = std::filesystem::exists(cert_path);
  bool have_key = std::filesystem::exists(key_path);
  if (have_cert != have_key)
    fail("found only one of " + cert_path.string() + " and " + key_path.string() +
         "; remove it to start afresh");
  if (!have_cert) {
    std::filesystem::create_directories(dir);
    Identity id = create_identity(common_name);
    write_file(key_path, id.private_key_pem, 0600);
    write_file(cert_path, id.certificate_pem, 0644);
    return id;
  }
  Identity id;
  id.certificate_pem = read_file(cert_path);
  id.private_key_pem = read_file(key_path);
  id.fingerprint = fingerprint_of(parse_certificate(id.certificate_pem).get());
  return id;
}

namespace {
void common_setup(asio::ssl::context& ctx) {
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  // Idle connections should not keep 2 x 17 KiB of record buffers each.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
  // Nothing resumes sessions (peers reconnect rarely, and links are brokered afresh):
  // a session cache or tickets would only cost memory per connection and handshake time.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(native, 0);
  // Read whole runs of records per read(2), not a header then a body: bulk transfers
  // need half the system calls. The buffer is released when empty.
  SSL_CTX_set_read_ahead(native, 1);
  // AES-128-GCM first: as safe for this use and about a third cheaper per byte than
  // AES-256 (10 rounds, not 14), which bulk chunk transfers feel on both ends.
  SSL_CTX_set_ciphersuites(native,
                           "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
}
}  // namespace

asio::ssl::context make_server_context(const Identity& identity) {
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  common_setup(ctx);
  ctx.use_certificate(asio::buffer(identity.certificate_pem), asio::ssl::context::pem);
  ctx.use_private_key(asio::buffer(identity.private_key_pem), asio::ssl::context::pem);
  ctx.set_verify_mode(asio::ssl::verify_none);
  return ctx;
}

asio::ssl::context make_link_context(const Identity& identity) {
  asio::ssl::context ctx(asio::ssl::context::tls);
  common_setup(ctx);
  ctx.use_certificate(asio::buffer(identity.certificate_pem), asio::ssl::context::pem);
  ctx.use_private_key(asio::buffer(identity.private_key_pem), asio::ssl::context::pem);
  // Self-signed certificates cannot chain to anything: the chain check is replaced by the
  // fingerprint check after the handshake, so accept here but do require a certificate.
  SSL_CTX_set_verify(ctx.native_handle(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     [](int, X509_STORE_CTX*) { return 1; });
  return ctx;
}

asio::ssl::context make_client_context() {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  common_setup(ctx);
  ctx.set_verify_mode(asio::ssl::verify_none);
  return ctx;
}

bool fingerprints_equal(const std::string& a, const std::string& b) {
  auto x = from_hex(a);
  auto y = from_hex(b);
  if (!x || !y || x->size() != y->size() || x->empty()) return false;
  return CRYPTO_memcmp(x->data(), y->data(), x->size()) == 0;
}

}  // namespace parley::net
