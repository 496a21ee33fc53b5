#pragma once
// A certificate authority for unit tests, made with OpenSSL in memory and
// written as PEM files: a CA and certificates it issues for Diameter
// identities (CN and SAN dNSName), like scripts/lab's, without a shell.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace roamkey::test {

struct PemCredential {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
};

class TestPki {
 public:
  // A self-signed CA named `name`, its certificate written to dir/<stem>-ca.pem.
  TestPki(std::filesystem::path dir, const std::string& name, const std::string& stem = "test");

  const std::filesystem::path& ca_certificate() const { return ca_file_; }

  // A certificate for `identity` signed by this CA, valid from now + `from`
  // for `lifetime`; written to dir/<identity>.pem and .key (0600).
  PemCredential issue(const std::string& identity, std::chrono::seconds lifetime = std::chrono::hours(24),
                      std::chrono::seconds from = std::chrono::seconds(-60)) const;

 private:
  struct FreeKey {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  struct FreeCert {
    void operator()(X509* c) const { X509_free(c); }
  };

  std::filesystem::path dir_;
  std::unique_ptr<EVP_PKEY, FreeKey> ca_key_;
  std::unique_ptr<X509, FreeCert> ca_cert_;
  std::filesystem::path ca_file_;
};

}  // namespace roamkey::test
