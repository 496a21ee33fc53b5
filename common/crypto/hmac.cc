#include "crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <stdexcept>

#include "crypto/evp_handles.h"
#include "crypto/hmac_internal.h"

namespace roamkey::crypto {

namespace {

// One HMAC-SHA-256 context per thread, its digest set once. Creating a
// context and fetching SHA-256 for it cost more than the MAC itself (1.7 us
// against 0.6 us per HMAC on the benchmark machine; every EAP-TSK round
// computes several, docs/profiling.md).
class ThreadMac {
 public:
  ThreadMac() : ctx_(EVP_MAC_CTX_new(detail::hmac_algorithm())) {
    if (!ctx_) throw std::runtime_error("EVP_MAC_CTX_new failed");
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_CTX_set_params(ctx_.get(), params) != 1) throw std::runtime_error("HMAC-SHA-256 setup failed");
  }

  void mac(ByteView key, ByteView data, std::span<std::uint8_t> out) {
    struct Forget {
      EVP_MAC_CTX* ctx;
      // The context keeps a copy of the key and its padded states for
      // reuse: keying it again with a constant makes OpenSSL wipe them, so
      // no key outlives the call in a thread's context.
      ~Forget() {
        static const std::uint8_t kNothing[1] = {0};
        EVP_MAC_init(ctx, kNothing, sizeof kNothing, nullptr);
      }
    } forget{ctx_.get()};
    if (EVP_MAC_init(ctx_.get(), key.data(), key.size(), nullptr) != 1)
      throw std::runtime_error("HMAC-SHA-256 init failed");
    if (!data.empty() && EVP_MAC_update(ctx_.get(), data.data(), data.size()) != 1)
      throw std::runtime_error("HMAC-SHA-256 update failed");
    std::size_t out_len = 0;
    if (EVP_MAC_final(ctx_.get(), out.data(), &out_len, out.size()) != 1 || out_len != out.size())
      throw std::runtime_error("HMAC-SHA-256 final failed");
  }

 private:
  detail::EvpMacCtx ctx_;
};

}  // namespace

void detail::hmac_sha256_into(ByteView key, ByteView data, std::span<std::uint8_t> out) {
  if (out.size() != kSha256Size) throw std::invalid_argument("HMAC-SHA-256 output buffer must be 32 bytes");
  if (key.empty()) throw std::invalid_argument("HMAC key is empty");
  thread_local ThreadMac context;
  context.mac(key, data, out);
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
