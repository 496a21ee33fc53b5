#include "crypto/key_wrap.h"

#include <openssl/evp.h>

#include <climits>
#include <stdexcept>

#include "crypto/evp_handles.h"

namespace roamkey::crypto {
namespace {

constexpr std::size_t kKekSize = 32;
constexpr std::size_t kSemiblock = 8;      // RFC 3394 section 2: 64-bit blocks
constexpr std::size_t kMaxKeySize = 4096;  // far above any key, keeps int casts safe

detail::EvpCipherCtx wrap_ctx(ByteView kek, bool encrypt) {
  auto ctx = detail::new_cipher_ctx();
  // OpenSSL refuses the wrap modes through EVP unless the caller opts in.
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  // A null IV selects RFC 3394's default A6A6A6A6A6A6A6A6.
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_wrap(), nullptr, kek.data(), nullptr, encrypt ? 1 : 0) != 1) {
    throw std::runtime_error("AES key wrap init failed");
  }
  return ctx;
}

}  // namespace

Bytes aes_key_wrap(ByteView kek, ByteView key) {
  if (kek.size() != kKekSize) throw std::invalid_argument("key wrap KEK must be 32 bytes");
  if (key.size() < 2 * kSemiblock || key.size() % kSemiblock != 0 || key.size() > kMaxKeySize) {
    throw std::invalid_argument("key to wrap must be a multiple of 8 bytes, at least 16");
  }
  auto ctx = wrap_ctx(kek, true);
  // EVP assumes room for one more block than the input.
  Bytes out(key.size() + 2 * kSemiblock);
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, key.data(), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("AES key wrap failed");
  }
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &tail) != 1) throw std::runtime_error("AES key wrap failed");
  out.resize(static_cast<std::size_t>(len + tail));
  if (out.size() != key.size() + kSemiblock) throw std::runtime_error("AES key wrap produced an unexpected length");
  return out;
}

std::optional<SecretBytes> aes_key_unwrap(ByteView kek, ByteView wrapped) {
  if (kek.size() != kKekSize) throw std::invalid_argument("key wrap KEK must be 32 bytes");
  if (wrapped.size() < 3 * kSemiblock || wrapped.size() % kSemiblock != 0 || wrapped.size() > kMaxKeySize) {
    return std::nullopt;
  }
  auto ctx = wrap_ctx(kek, false);
  SecretBytes buffer(wrapped.size() + kSemiblock);
  int len = 0;
  if (EVP_DecryptUpdate(ctx.get(), buffer.data(), &len, wrapped.data(), static_cast<int>(wrapped.size())) != 1) {
    return std::nullopt;  // RFC 3394 section 2.2.3: integrity check failed
  }
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), buffer.data() + len, &tail) != 1) return std::nullopt;
  const std::size_t n = static_cast<std::size_t>(len + tail);
  if (n != wrapped.size() - kSemiblock) return std::nullopt;
  return SecretBytes(buffer.view().first(n));
}

}  // namespace roamkey::crypto
