#include "server/auth/password.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "shared/util/parse.hpp"

namespace parley::server {
namespace {

constexpr std::string_view kScryptPrefix = "$scrypt$";
constexpr std::string_view kPbkdf2Prefix = "$pbkdf2-sha256$";

constexpr unsigned kDefaultScryptLogN = 17;
constexpr std::uint32_t kDefaultScryptR = 8;
constexpr std::uint32_t kDefaultScryptP = 1;
constexpr std::uint32_t kDefaultPbkdf2Iterations = 600000;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

// Bounds for parameters read back from the credentials file: generous enough for any
// sensible upgrade, tight enough that a typo cannot make one login take minutes or
// allocate gigabytes.
constexpr unsigned kMinScryptLogN = 1, kMaxScryptLogN = 22;
constexpr std::uint32_t kMaxScryptR = 32, kMaxScryptP = 16;
constexpr std::uint32_t kMaxPbkdf2Iterations = 10'000'000;
constexpr std::size_t kMinSalt = 8, kMaxSalt = 64, kMinHash = 16, kMaxHash = 64;
// OpenSSL's default cap (32 MiB) refuses N=2^17, r=8 (128 MiB). 1 GiB admits ln=19 at r=8;
// parameters needing more are rejected when the file is loaded, not at the first login.
constexpr std::uint64_t kScryptMaxMem = std::uint64_t{1} << 30;

struct ParsedHash {
  HashAlgorithm algorithm = HashAlgorithm::scrypt;
  unsigned log_n = 0;
  std::uint32_t r = 0, p = 0;
  std::uint32_t iterations = 0;
  std::vector<unsigned char> salt;
  std::vector<unsigned char> hash;
};

// Wipes derived keys and decoded hashes so they do not linger in freed memory.
struct SecretBytes {
  std::vector<unsigned char> bytes;
  explicit SecretBytes(std::size_t n) : bytes(n) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

constexpr std::string_view kB64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    std::uint32_t chunk = std::uint32_t{data[i]} << 16;
    if (i + 1 < size) chunk |= std::uint32_t{data[i + 1]} << 8;
    if (i + 2 < size) chunk |= data[i + 2];
    out += kB64Alphabet[(chunk >> 18) & 63];
    out += kB64Alphabet[(chunk >> 12) & 63];
    out += i + 1 < size ? kB64Alphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < size ? kB64Alphabet[chunk & 63] : '=';
  }
  return out;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict: padded, canonical (unused bits zero), so every byte string has exactly one
// accepted spelling and a tampered character can never decode to the same bytes.
std::optional<std::vector<unsigned char>> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<unsigned char> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t pad_here = last ? padding : 0;
    std::uint32_t chunk = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      int v = 0;
      if (j < 4 - pad_here) {
        v = base64_value(text[i + j]);
        if (v < 0) return std::nullopt;
      }
      chunk = (chunk << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<unsigned char>(chunk >> 16));
    if (pad_here < 2) out.push_back(static_cast<unsigned char>(chunk >> 8));
    if (pad_here < 1) out.push_back(static_cast<unsigned char>(chunk));
    if ((pad_here == 1 && (chunk & 0xff) != 0) || (pad_here == 2 && (chunk & 0xffff) != 0)) {
      return std::nullopt;
    }
  }
  return out;
}

// Reads "<key>=<decimal>" from the front of `text`, leaving the rest in `text`.
std::optional<std::uint64_t> take_param(std::string_view& text, std::string_view key) {
  if (text.substr(0, key.size()) != key || text.substr(key.size(), 1) != "=") return std::nullopt;
  text.remove_prefix(key.size() + 1);
  const auto digits = std::min(text.find_first_not_of("0123456789"), text.size());
  const auto value = parse_decimal<std::uint64_t>(text.substr(0, digits));
  if (value) text.remove_prefix(digits);
  return value;
}

bool take_literal(std::string_view& text, std::string_view literal) {
  if (text.substr(0, literal.size()) != literal) return false;
  text.remove_prefix(literal.size());
  return true;
}

std::uint64_t scrypt_memory(unsigned log_n, std::uint64_t r, std::uint64_t p) {
  // Mirrors OpenSSL's own accounting (B and V buffers) so our bound and its check agree.
  return 128 * r * p + 128 * r * ((std::uint64_t{1} << log_n) + 2);
}

std::optional<ParsedHash> parse_hash(std::string_view text, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<ParsedHash> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  ParsedHash parsed;
  if (take_literal(text, kScryptPrefix)) {
    parsed.algorithm = HashAlgorithm::scrypt;
    const auto ln = take_param(text, "ln");
    const auto r = ln && take_literal(text, ",") ? take_param(text, "r") : std::nullopt;
    const auto p = r && take_literal(text, ",") ? take_param(text, "p") : std::nullopt;
    if (!p) return fail("malformed scrypt parameters (expected ln=N,r=N,p=N)");
    if (*ln < kMinScryptLogN || *ln > kMaxScryptLogN || *r < 1 || *r > kMaxScryptR || *p < 1 ||
        *p > kMaxScryptP) {
      return fail("scrypt parameters out of range (ln 1-22, r 1-32, p 1-16)");
    }
    parsed.log_n = static_cast<unsigned>(*ln);
    parsed.r = static_cast<std::uint32_t>(*r);
    parsed.p = static_cast<std::uint32_t>(*p);
    if (scrypt_memory(parsed.log_n, parsed.r, parsed.p) > kScryptMaxMem) {
      return fail("scrypt parameters need more than 1 GiB of memory");
    }
  } else if (take_literal(text, kPbkdf2Prefix)) {
    parsed.algorithm = HashAlgorithm::pbkdf2_sha256;
    const auto i = take_param(text, "i");
    if (!i) return fail("malformed pbkdf2-sha256 parameters (expected i=N)");
    if (*i < 1 || *i > kMaxPbkdf2Iterations)
      return fail("pbkdf2-sha256 iterations out of range (1-10000000)");
    parsed.iterations = static_cast<std::uint32_t>(*i);
  } else {
    return fail("unknown hash algorithm");
  }

  if (!take_literal(text, "$")) return fail("malformed hash (expected $salt$hash after the parameters)");
  const auto dollar = text.find('$');
  if (dollar == std::string_view::npos) return fail("malformed hash (missing $hash)");
  auto salt = base64_decode(text.substr(0, dollar));
  auto hash = base64_decode(text.substr(dollar + 1));
  if (!salt || !hash) return fail("malformed hash (salt and hash must be padded base64)");
  if (salt->size() < kMinSalt || salt->size() > kMaxSalt) return fail("salt must be 8-64 bytes");
  if (hash->size() < kMinHash || hash->size() > kMaxHash) return fail("hash must be 16-64 bytes");
  parsed.salt = std::move(*salt);
  parsed.hash = std::move(*hash);
  return parsed;
}

bool derive_scrypt(std::string_view password, const ParsedHash& params, std::vector<unsigned char>& out) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr),
                                                        &EVP_KDF_free);
  if (!kdf) return false;
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                                &EVP_KDF_CTX_free);
  if (!ctx) return false;
  std::uint64_t n = std::uint64_t{1} << params.log_n;
  std::uint32_t r = params.r;
  std::uint32_t p = params.p;
  std::uint64_t maxmem = kScryptMaxMem;
  // OSSL_PARAM wants non-const pointers but only reads the password and salt.
  const OSSL_PARAM ossl_params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(params.salt.data()),
                                        params.salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), ossl_params) == 1;
}

bool derive_pbkdf2(std::string_view password, const ParsedHash& params, std::vector<unsigned char>& out) {
  if (password.size() > INT_MAX || params.iterations > INT_MAX) return false;
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), params.salt.data(),
                           static_cast<int>(params.salt.size()), static_cast<int>(params.iterations),
                           EVP_sha256(), static_cast<int>(out.size()), out.data()) == 1;
}

bool derive(std::string_view password, const ParsedHash& params, std::vector<unsigned char>& out) {
  const bool ok = params.algorithm == HashAlgorithm::scrypt ? derive_scrypt(password, params, out)
                                                            : derive_pbkdf2(password, params, out);
  // The error queue is per thread; leave nothing behind for whatever runs next on it.
  if (!ok) ERR_clear_error();
  return ok;
}

std::array<unsigned char, 32> sha256(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    ERR_clear_error();
    throw std::runtime_error("SHA-256 failed");
  }
  return digest;
}

}  // namespace

std::string hash_password(std::string_view password, HashAlgorithm algorithm) {
  ParsedHash params;
  params.algorithm = algorithm;
  params.log_n = kDefaultScryptLogN;
  params.r = kDefaultScryptR;
  params.p = kDefaultScryptP;
  params.iterations = kDefaultPbkdf2Iterations;
  params.salt.resize(kSaltBytes);
  if (RAND_bytes(params.salt.data(), static_cast<int>(params.salt.size())) != 1) {
    ERR_clear_error();
    throw std::runtime_error("no random bytes for a password salt");
  }
  SecretBytes derived(kHashBytes);
  if (!derive(password, params, derived.bytes)) throw std::runtime_error("password hashing failed");

  std::string out;
  if (algorithm == HashAlgorithm::scrypt) {
    out = std::string(kScryptPrefix) + "ln=" + std::to_string(params.log_n) +
          ",r=" + std::to_string(params.r) + ",p=" + std::to_string(params.p);
  } else {
    out = std::string(kPbkdf2Prefix) + "i=" + std::to_string(params.iterations);
  }
  out += '$';
  out += base64_encode(params.salt.data(), params.salt.size());
  out += '$';
  out += base64_encode(derived.bytes.data(), derived.bytes.size());
  return out;
}

bool verify_password(const Credential& stored, std::string_view password) {
  if (stored.kind == Credential::Kind::plaintext) {
    // Comparing digests keeps the comparison constant-time even when lengths differ.
    const auto expected = sha256(stored.secret);
    const auto actual = sha256(password);
    return CRYPTO_memcmp(expected.data(), actual.data(), expected.size()) == 0;
  }
  auto params = parse_hash(stored.secret, nullptr);
  if (!params) return false;
  SecretBytes derived(params->hash.size());
  if (!derive(password, *params, derived.bytes)) return false;
  const bool match = CRYPTO_memcmp(derived.bytes.data(), params->hash.data(), params->hash.size()) == 0;
  OPENSSL_cleanse(params->hash.data(), params->hash.size());
  return match;
}

std::optional<Credential> classify_secret(std::string_view secret, std::string* error) {
  if (secret.starts_with(kScryptPrefix) || secret.starts_with(kPbkdf2Prefix)) {
    if (!parse_hash(secret, error)) return std::nullopt;
    return Credential{Credential::Kind::hashed, std::string(secret)};
  }
  return Credential{Credential::Kind::plaintext, std::string(secret)};
}

}  // namespace parley::server
