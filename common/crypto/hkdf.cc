#include "crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <span>
#include <stdexcept>

#include "crypto/evp_handles.h"

namespace roamkey::crypto {

namespace {

// One HKDF-SHA-256 context per thread, its digest set once: creating the
// context and fetching SHA-256 by name (a lookup under OpenSSL's shared
// method store) on every derivation cost 4.5 against 3.8 us per call in a
// micro-benchmark; EAP-TSK derives its session keys once per authentication
// on each side (docs/profiling.md).
class ThreadHkdf {
 public:
  ThreadHkdf() : ctx_(EVP_KDF_CTX_new(detail::hkdf_algorithm())) {
    if (!ctx_) throw std::runtime_error("EVP_KDF_CTX_new failed");
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_KDF_CTX_set_params(ctx_.get(), params) != 1) throw std::runtime_error("HKDF-SHA-256 setup failed");
  }

  // On a context that derived before, `info` must not be empty: OpenSSL
  // 3.0.19 crashes then (docs/known-issues.md); a fresh context is fine.
  void derive(ByteView salt, ByteView ikm, ByteView info, std::span<std::uint8_t> out) {
    struct Forget {
      EVP_KDF_CTX* ctx;
      // The context keeps a copy of the input key until it is replaced:
      // replacing it with a constant makes OpenSSL wipe it, so no key
      // outlives the call in a thread's context.
      ~Forget() {
        static std::uint8_t nothing[1] = {0};
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, nothing, sizeof nothing),
            OSSL_PARAM_construct_end(),
        };
        EVP_KDF_CTX_set_params(ctx, params);
      }
    } forget{ctx_.get()};
    // OSSL_PARAM wants non-const pointers; OpenSSL only reads these
    // buffers. An empty one still needs a valid pointer: it must replace
    // what an earlier call on this context set.
    static std::uint8_t empty[1] = {0};
    auto octets = [](const char* name, ByteView v) {
      return OSSL_PARAM_construct_octet_string(name, v.empty() ? empty : const_cast<std::uint8_t*>(v.data()), v.size());
    };
    // RFC 5869 sec. 2.2: an absent salt is HashLen zeros. Always set it, so
    // that no salt of an earlier call on this context is reused.
    static std::uint8_t zeros[32] = {};
    const OSSL_PARAM params[] = {
        octets(OSSL_KDF_PARAM_KEY, ikm),
        salt.empty() ? OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, zeros, sizeof zeros)
                     : octets(OSSL_KDF_PARAM_SALT, salt),
        octets(OSSL_KDF_PARAM_INFO, info),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_KDF_derive(ctx_.get(), out.data(), out.size(), params) != 1)
      throw std::runtime_error("HKDF-SHA-256 derivation failed");
  }

 private:
  detail::EvpKdfCtx ctx_;
};

}  // namespace

SecretBytes hkdf_sha256(ByteView salt, ByteView ikm, ByteView info, std::size_t length) {
  if (ikm.empty()) throw std::invalid_argument("HKDF input key material is empty");
  if (length == 0 || length > 255 * 32) throw std::invalid_argument("HKDF output length out of range");
  SecretBytes out(length);
  if (info.empty()) {
    ThreadHkdf once;
    once.derive(salt, ikm, info, {out.data(), out.size()});
    return out;
  }
  thread_local ThreadHkdf context;
  context.derive(salt, ikm, info, {out.data(), out.size()});
  return out;
}

}  // namespace roamkey::crypto
