#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "server/auth/hash_command.hpp"
#include "server/auth/password.hpp"

using parley::server::classify_secret;
using parley::server::Credential;
using parley::server::hash_password;
using parley::server::HashAlgorithm;
using parley::server::verify_password;

namespace {

// Known answers computed independently (Python hashlib) at low cost, so these tests are
// fast and also check that our parameters and encoding match the reference algorithms.
// Passwords: "correct horse", "battery staple", and "" for the last one.
const std::string kScryptLn10 =
    "$scrypt$ln=10,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=";
const std::string kPbkdf2I1000 =
    "$pbkdf2-sha256$i=1000$cGFybGV5LXNhbHQtMDAwMQ==$XT+h0RSKhfS22+rVnuWNrlXJhvIKCgQImgX+PkXcQ4o=";
// 17-byte salt and 20-byte hash: exercises single '=' padding.
const std::string kPbkdf2OddSizes =
    "$pbkdf2-sha256$i=1$ZGVmZ2hpamtsbW5vcHFyc3Q=$fTTsZ6F/J/zZbRFpzBiV3K9i1mY=";

Credential hashed(std::string secret) { return Credential{Credential::Kind::hashed, std::move(secret)}; }

}  // namespace

TEST_CASE("scrypt default parameters: hash, verify, reject") {
  const std::string stored = hash_password("s3cret pass", HashAlgorithm::scrypt);
  CHECK(stored.starts_with("$scrypt$ln=17,r=8,p=1$"));
  // 16-byte salt and 32-byte hash in padded base64: 24 and 44 characters.
  CHECK(stored.size() == std::string("$scrypt$ln=17,r=8,p=1$").size() + 24 + 1 + 44);
  CHECK(verify_password(hashed(stored), "s3cret pass"));
  CHECK_FALSE(verify_password(hashed(stored), "s3cret pasS"));
}

TEST_CASE("pbkdf2 default parameters: hash, verify, reject, fresh salt") {
  const std::string stored = hash_password("hunter2", HashAlgorithm::pbkdf2_sha256);
  CHECK(stored.starts_with("$pbkdf2-sha256$i=600000$"));
  CHECK(verify_password(hashed(stored), "hunter2"));
  CHECK_FALSE(verify_password(hashed(stored), "hunter3"));
  CHECK_FALSE(verify_password(hashed(stored), ""));
  CHECK(hash_password("hunter2", HashAlgorithm::pbkdf2_sha256) != stored);
}

TEST_CASE("parameters are read from the stored string") {
  CHECK(verify_password(hashed(kScryptLn10), "correct horse"));
  CHECK_FALSE(verify_password(hashed(kScryptLn10), "correct horse "));
  CHECK(verify_password(hashed(kPbkdf2I1000), "battery staple"));
  CHECK_FALSE(verify_password(hashed(kPbkdf2I1000), "battery stapl"));
  CHECK(verify_password(hashed(kPbkdf2OddSizes), ""));
  CHECK_FALSE(verify_password(hashed(kPbkdf2OddSizes), "x"));
}

TEST_CASE("tampered hashes never match") {
  SUBCASE("changed hash byte") {
    std::string s = kPbkdf2I1000;
    s[s.size() - 3] = s[s.size() - 3] == 'A' ? 'B' : 'A';
    CHECK_FALSE(verify_password(hashed(s), "battery staple"));
  }
  SUBCASE("changed salt byte") {
    std::string s = kPbkdf2I1000;
    const auto salt_at = s.find('$', 16) + 1;
    s[salt_at] = s[salt_at] == 'c' ? 'd' : 'c';
    CHECK_FALSE(verify_password(hashed(s), "battery staple"));
  }
  SUBCASE("changed parameters") {
    std::string s = kPbkdf2I1000;
    s.replace(s.find("i=1000"), 6, "i=1001");
    CHECK_FALSE(verify_password(hashed(s), "battery staple"));
    std::string t = kScryptLn10;
    t.replace(t.find("r=8"), 3, "r=7");
    CHECK_FALSE(verify_password(hashed(t), "correct horse"));
  }
  SUBCASE("non-canonical base64 (unused bits set)") {
    std::string s = kPbkdf2OddSizes;
    // "1mY=": the last character carries two unused bits; 'Z' sets them.
    s[s.size() - 2] = 'Z';
    CHECK_FALSE(verify_password(hashed(s), ""));
    CHECK_FALSE(classify_secret(s).has_value());
  }
}

TEST_CASE("malformed hash strings are rejected without crashing") {
  const std::string truncated = kPbkdf2I1000.substr(0, kPbkdf2I1000.size() - 5);
  const char* bad[] = {
      "$scrypt$",
      "$scrypt$ln=10,r=8,p=1",
      "$scrypt$ln=10,r=8,p=1$",
      "$scrypt$ln=10,r=8,p=1$$",
      "$scrypt$ln=10,r=8$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=60,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=0,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=22,r=32,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=10,r=8,p=17$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=99999999999999999999999,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwT",
      "$scrypt$ln=-1,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=10,r=8,p=1,x=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=10,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=10,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=$",
      "$scrypt$ln=10,r=8,p=1$AQID$nbTlASUTSNTLGzfHCoYGaHwTc5I+fuvUGXgOIXRxBHg=",
      "$scrypt$ln=10,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTlASUT",
      "$pbkdf2-sha256$i=0$cGFybGV5LXNhbHQtMDAwMQ==$XT+h0RSKhfS22+rVnuWNrlXJhvIKCgQImgX+PkXcQ4o=",
      "$pbkdf2-sha256$i=10000001$cGFybGV5LXNhbHQtMDAwMQ==$XT+h0RSKhfS22+rVnuWNrlXJhvIKCgQImgX+PkXcQ4o=",
      "$pbkdf2-sha256$iterations=1000$cGFybGV5LXNhbHQtMDAwMQ==$XT+h0RSKhfS22+rVnuWNrlXJhvIKCgQImgX+PkXcQ4o=",
      "$pbkdf2-sha256$i=1000$cGFybGV5LXNhbHQtMDAwMQ==$XT+h0RSKhfS22+rVnuWNrlXJ*vIKCgQImgX+PkXcQ4o=",
      "$pbkdf2-sha256$i=1000$cGFybGV5LXNhbHQtMDAwMQ==$XT+h0RSKhfS22+rVnuWNrlXJ vIKCgQImgX+PkXcQ4o=",
      "$pbkdf2-sha256$i=1000$cGFybGV5LXNhbHQtMDAwMQ=$XT+h0RSKhfS22+rVnuWNrlXJhvIKCgQImgX+PkXcQ4o=",
      "$pbkdf2-sha256$i=1000$====$XT+h0RSKhfS22+rVnuWNrlXJhvIKCgQImgX+PkXcQ4o=",
      "$pbkdf2-sha256$i=1000$cGFy=GV5LXNhbHQtMDAwMQ==$XT+h0RSKhfS22+rVnuWNrlXJhvIKCgQImgX+PkXcQ4o=",
      "$pbkdf2-sha256$",
  };
  for (const char* s : bad) {
    CAPTURE(s);
    std::string error;
    CHECK_FALSE(classify_secret(s, &error).has_value());
    CHECK_FALSE(error.empty());
    CHECK_FALSE(verify_password(hashed(s), "correct horse"));
    CHECK_FALSE(verify_password(hashed(s), "battery staple"));
  }
  CHECK_FALSE(classify_secret(truncated).has_value());
  CHECK_FALSE(verify_password(hashed(truncated), "battery staple"));
  // Not a hash at all, but marked as one: must not match anything, not even itself.
  CHECK_FALSE(verify_password(hashed("plain"), "plain"));
}

TEST_CASE("classify_secret") {
  SUBCASE("plaintext") {
    const auto c = classify_secret("hunter2");
    REQUIRE(c.has_value());
    CHECK(c->kind == Credential::Kind::plaintext);
    CHECK(c->secret == "hunter2");
  }
  SUBCASE("things that only resemble hashes are plaintext") {
    for (const char* s : {"$2b$12$abc", "$scrypt", "scrypt$ln=1", "$argon2id$v=19", "$$"}) {
      CAPTURE(s);
      const auto c = classify_secret(s);
      REQUIRE(c.has_value());
      CHECK(c->kind == Credential::Kind::plaintext);
    }
  }
  SUBCASE("valid hashes") {
    for (const std::string& s : {kScryptLn10, kPbkdf2I1000, kPbkdf2OddSizes}) {
      CAPTURE(s);
      std::string error;
      const auto c = classify_secret(s, &error);
      REQUIRE(c.has_value());
      CHECK(c->kind == Credential::Kind::hashed);
      CHECK(c->secret == s);
      CHECK(error.empty());
    }
  }
  SUBCASE("malformed hash is an error, not a plaintext password") {
    std::string error;
    CHECK_FALSE(classify_secret("$scrypt$ln=60,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA==$nbTl", &error).has_value());
    CHECK(error.find("scrypt") != std::string::npos);
    CHECK_FALSE(classify_secret("$pbkdf2-sha256$i=1000$bad").has_value());  // error pointer is optional
  }
}

TEST_CASE("plaintext comparison") {
  const Credential plain{Credential::Kind::plaintext, "hunter2"};
  CHECK(verify_password(plain, "hunter2"));
  CHECK_FALSE(verify_password(plain, "hunter"));
  CHECK_FALSE(verify_password(plain, "hunter22"));
  CHECK_FALSE(verify_password(plain, ""));
  CHECK(verify_password(Credential{Credential::Kind::plaintext, ""}, ""));
  // A hash string stored as plaintext compares as text, not as a hash.
  const Credential looks_hashed{Credential::Kind::plaintext, kPbkdf2I1000};
  CHECK_FALSE(verify_password(looks_hashed, "battery staple"));
  CHECK(verify_password(looks_hashed, kPbkdf2I1000));
}

TEST_CASE("hash-password: asked twice at a terminal, refused when the two differ") {
  using parley::server::hash_password_command;
  std::istringstream differ("first-try\nsecond-try\n");
  std::ostringstream out, err;
  CHECK(hash_password_command(HashAlgorithm::pbkdf2_sha256, differ, out, err, true) == 1);
  CHECK(out.str().empty());
  CHECK(err.str().find("differ") != std::string::npos);

  std::istringstream same("right-one\nright-one\n");
  std::ostringstream hash, prompts;
  CHECK(hash_password_command(HashAlgorithm::pbkdf2_sha256, same, hash, prompts, true) == 0);
  CHECK(prompts.str().find("again: ") != std::string::npos);
  CHECK(verify_password(*classify_secret(hash.str().substr(0, hash.str().size() - 1)), "right-one"));

  // A script pipes the password once, and gets no prompts.
  std::istringstream piped("scripted\n");
  std::ostringstream piped_hash, quiet;
  CHECK(hash_password_command(HashAlgorithm::pbkdf2_sha256, piped, piped_hash, quiet, false) == 0);
  CHECK(quiet.str().empty());
  CHECK(piped_hash.str().starts_with("$pbkdf2-sha256$"));

  std::istringstream empty("\n");
  CHECK(hash_password_command(HashAlgorithm::scrypt, empty, out, err, false) == 1);
}
