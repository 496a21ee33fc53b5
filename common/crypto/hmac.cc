#include "crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <stdexcept>

#include "crypto/evp_handles.h"
#include "crypto/hmac_internal.h"

namespace roamkey::crypto {

void detail::hmac_sha256_into(ByteView key, ByteView data, std::span<std::uint8_t> out) {
  if (out.size() != kSha256Size) throw std::invalid_argument("HMAC-SHA-256 output buffer must be 32 bytes");
  if (key.empty()) throw std::invalid_argument("HMAC key is empty");
  detail::EvpMacCtx ctx{EVP_MAC_CTX_new(detail::hmac_algorithm())};
  if (!ctx) throw std::runtime_error("EVP_MAC_CTX_new failed");

  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) {
    throw std::runtime_error("HMAC-SHA-256 init failed");
  }
  if (!data.empty() && EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) {
    throw std::runtime_error("HMAC-SHA-256 update failed");
  }
  std::size_t out_len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &out_len, out.size()) != 1 || out_len != out.size()) {
    throw std::runtime_error("HMAC-SHA-256 final failed");
  }
}

Bytes hmac_sha256(ByteView key, ByteView data) {
  Bytes out(detail::kSha256Size);
  detail::hmac_sha256_into(key, data, out);
  return out;
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace roamkey::crypto
