#include "support/test_pki.h"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <stdexcept>

namespace roamkey::test {

namespace {

std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> new_key() {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  if (k == nullptr) throw std::runtime_error("EVP_EC_gen failed");
  return {k, EVP_PKEY_free};
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("X509V3_EXT_conf_nid failed");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* new_certificate(EVP_PKEY* key, const std::string& cn, std::chrono::seconds from, std::chrono::seconds lifetime) {
  static long serial = 1;
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(from.count()));
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>((from + lifetime).count()));
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

template <typename Write>
void write_pem(const std::filesystem::path& path, mode_t mode, Write write) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + path.string());
  const bool ok = write(f) == 1;
  std::fclose(f);
  ::chmod(path.c_str(), mode);
  if (!ok) throw std::runtime_error("cannot write PEM to " + path.string());
}

}  // namespace

TestPki::TestPki(std::filesystem::path dir, const std::string& name, const std::string& stem)
    : dir_(std::move(dir)), ca_file_(dir_ / (stem + "-ca.pem")) {
  std::filesystem::create_directories(dir_);
  auto key = new_key();
  ca_key_.reset(key.release());
  ca_cert_.reset(new_certificate(ca_key_.get(), name, std::chrono::seconds(-60), std::chrono::hours(24 * 365)));
  X509_set_issuer_name(ca_cert_.get(), X509_get_subject_name(ca_cert_.get()));
  add_extension(ca_cert_.get(), ca_cert_.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca_cert_.get(), ca_cert_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca_cert_.get(), ca_cert_.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(ca_cert_.get(), ca_key_.get(), EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
  write_pem(ca_file_, 0644, [&](std::FILE* f) { return PEM_write_X509(f, ca_cert_.get()); });
}

PemCredential TestPki::issue(const std::string& identity, std::chrono::seconds lifetime,
                             std::chrono::seconds from) const {
  auto key = new_key();
  std::unique_ptr<X509, FreeCert> cert(new_certificate(key.get(), identity, from, lifetime));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert_.get()));
  add_extension(cert.get(), ca_cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca_cert_.get(), NID_subject_alt_name, ("DNS:" + identity).c_str());
  add_extension(cert.get(), ca_cert_.get(), NID_authority_key_identifier, "keyid");
  if (X509_sign(cert.get(), ca_key_.get(), EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
  PemCredential out{dir_ / (identity + ".pem"), dir_ / (identity + ".key")};
  write_pem(out.certificate, 0644, [&](std::FILE* f) { return PEM_write_X509(f, cert.get()); });
  write_pem(out.private_key, 0600,
            [&](std::FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  return out;
}

}  // namespace roamkey::test
