#include "crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <stdexcept>
#include <vector>

#include "crypto/evp_handles.h"

namespace roamkey::crypto {

SecretBytes hkdf_sha256(ByteView salt, ByteView ikm, ByteView info, std::size_t length) {
  if (ikm.empty()) throw std::invalid_argument("HKDF input key material is empty");
  if (length == 0 || length > 255 * 32) throw std::invalid_argument("HKDF output length out of range");

  detail::EvpKdfCtx ctx{EVP_KDF_CTX_new(detail::hkdf_algorithm())};
  if (!ctx) throw std::runtime_error("EVP_KDF_CTX_new failed");

  // OSSL_PARAM wants non-const pointers; OpenSSL only reads these buffers.
  auto octets = [](const char* name, ByteView v) {
    return OSSL_PARAM_construct_octet_string(name, const_cast<std::uint8_t*>(v.data()), v.size());
  };
  char digest[] = "SHA256";
  std::vector<OSSL_PARAM> params;
  params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0));
  params.push_back(octets(OSSL_KDF_PARAM_KEY, ikm));
  // Leaving the salt unset makes OpenSSL use HashLen zeros, which is what an
  // empty salt means in RFC 5869; HMAC pads a short key with zeros anyway.
  if (!salt.empty()) params.push_back(octets(OSSL_KDF_PARAM_SALT, salt));
  if (!info.empty()) params.push_back(octets(OSSL_KDF_PARAM_INFO, info));
  params.push_back(OSSL_PARAM_construct_end());

  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) != 1) {
    throw std::runtime_error("HKDF-SHA-256 derivation failed");
  }
  return out;
}

}  // namespace roamkey::crypto
