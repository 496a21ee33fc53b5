#pragma once
// RAII ownership of the OpenSSL 3 EVP objects used by this library. Internal
// to roamkey_crypto: the public headers expose no OpenSSL type.

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>

namespace roamkey::crypto::detail {

struct EvpMacDeleter {
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
};
struct EvpMacCtxDeleter {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
struct EvpKdfDeleter {
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
};
struct EvpKdfCtxDeleter {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
struct EvpCipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};

using EvpMac = std::unique_ptr<EVP_MAC, EvpMacDeleter>;
using EvpMacCtx = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxDeleter>;
using EvpKdf = std::unique_ptr<EVP_KDF, EvpKdfDeleter>;
using EvpKdfCtx = std::unique_ptr<EVP_KDF_CTX, EvpKdfCtxDeleter>;
using EvpCipherCtx = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxDeleter>;

// Fetched once per process: fetching is costly and a fetched algorithm may be
// shared by any number of contexts on any thread. Throw std::runtime_error
// when the default provider lacks the algorithm.
EVP_MAC* hmac_algorithm();
EVP_KDF* hkdf_algorithm();

EvpCipherCtx new_cipher_ctx();

}  // namespace roamkey::crypto::detail
