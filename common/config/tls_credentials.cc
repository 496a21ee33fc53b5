#include "config/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace roamkey::config {

namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Crl = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
// sk_X509_free is a macro-generated inline function, not an addressable one.
struct FreeCertStack {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using CertStack = std::unique_ptr<STACK_OF(X509), FreeCertStack>;

Bio open(const std::filesystem::path& p) {
  return Bio(BIO_new_file(p.c_str(), "r"));
}

// Every certificate of a PEM file, in order.
std::vector<Cert> read_certificates(const std::filesystem::path& p) {
  std::vector<Cert> out;
  Bio bio = open(p);
  if (!bio) return out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  return out;
}

// A passphrase callback that refuses: freeDiameter cannot ask for one.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

std::string at_ca(std::size_t i, std::size_t n) {
  return n == 1 ? std::string("diameter.tls.ca") : "diameter.tls.ca[" + std::to_string(i) + "]";
}

}  // namespace

std::vector<std::string> check_tls_credentials(const TlsConfig& tls, const std::string& identity) {
  std::vector<std::string> problems;
  const auto problem = [&](const std::string& key, const std::string& text) { problems.push_back(key + ": " + text); };

  auto chain = read_certificates(tls.certificate);
  if (chain.empty()) problem("diameter.tls.certificate", tls.certificate.string() + " holds no PEM certificate");

  PKey key;
  if (Bio bio = open(tls.private_key)) key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!key)
    problem("diameter.tls.private_key",
            tls.private_key.string() + " holds no unencrypted PEM private key (freeDiameter cannot take a passphrase)");

  if (!chain.empty() && key && X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    problem("diameter.tls.private_key",
            tls.private_key.string() + " does not match the certificate " + tls.certificate.string());
  }
  if (!chain.empty() && X509_check_host(chain.front().get(), identity.c_str(), identity.size(), 0, nullptr) != 1)
    problem("diameter.tls.certificate",
            tls.certificate.string() + " does not name diameter.identity " + identity + " (SAN dNSName or CN)");

  std::vector<Cert> roots;
  for (std::size_t i = 0; i < tls.ca.size(); ++i) {
    const auto& file = tls.ca[i];
    auto certs = read_certificates(file);
    if (certs.empty()) {
      problem(at_ca(i, tls.ca.size()), file.string() + " holds no PEM certificate");
    } else if (certs.size() > 1) {
      problem(at_ca(i, tls.ca.size()),
              file.string() + " holds " + std::to_string(certs.size()) +
                  " certificates; freeDiameter 1.2.1 takes one root per file: put each CA in a file of its own "
                  "and list every file under diameter.tls.ca");
    } else if (X509_check_ca(certs.front().get()) == 0) {
      problem(at_ca(i, tls.ca.size()), file.string() + " is not a CA certificate");
    } else {
      roots.push_back(std::move(certs.front()));
    }
  }

  if (!chain.empty() && !roots.empty() && roots.size() == tls.ca.size()) {
    Store store(X509_STORE_new());
    CertStack untrusted(sk_X509_new_null());
    StoreCtx ctx(X509_STORE_CTX_new());
    if (!store || !untrusted || !ctx) throw std::bad_alloc();
    for (const auto& r : roots) X509_STORE_add_cert(store.get(), r.get());
    for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
    X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get());
    if (X509_verify_cert(ctx.get()) != 1) {
      const int err = X509_STORE_CTX_get_error(ctx.get());
      problem("diameter.tls.certificate", tls.certificate.string() + " does not verify against diameter.tls.ca: " +
                                              X509_verify_cert_error_string(err));
    }
    ERR_clear_error();
  }

  if (!tls.crl.empty()) {
    Crl crl;
    if (Bio bio = open(tls.crl)) crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!crl) problem("diameter.tls.crl", tls.crl.string() + " holds no PEM certificate revocation list");
  }
  return problems;
}

void require_usable_tls(const DiameterConfig& diameter) {
  if (!diameter.tls) return;
  const auto problems = check_tls_credentials(*diameter.tls, diameter.identity);
  if (problems.empty()) return;
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "\n") + diameter.source.string() + ": " + p;
  throw ConfigError(text);
}

}  // namespace roamkey::config
