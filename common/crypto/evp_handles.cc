#include "crypto/evp_handles.h"

#include <openssl/kdf.h>

#include <stdexcept>

namespace roamkey::crypto::detail {

EVP_MAC* hmac_algorithm() {
  static const EvpMac mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  if (!mac) throw std::runtime_error("OpenSSL provides no HMAC");
  return mac.get();
}

EVP_KDF* hkdf_algorithm() {
  static const EvpKdf kdf{EVP_KDF_fetch(nullptr, "HKDF", nullptr)};
  if (!kdf) throw std::runtime_error("OpenSSL provides no HKDF");
  return kdf.get();
}

EvpCipherCtx new_cipher_ctx() {
  EvpCipherCtx ctx{EVP_CIPHER_CTX_new()};
  if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return ctx;
}

}  // namespace roamkey::crypto::detail
