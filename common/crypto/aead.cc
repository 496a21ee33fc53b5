#include "crypto/aead.h"

#include <openssl/evp.h>

#include <climits>
#include <stdexcept>

#include "crypto/evp_handles.h"

namespace roamkey::crypto {
namespace {

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kMaxInput = INT_MAX / 2;  // EVP lengths are int

void require_key(ByteView key) {
  if (key.size() != kKeySize) throw std::invalid_argument("AEAD key must be 32 bytes");
}

}  // namespace

Bytes aead_seal(ByteView key32, ByteView plaintext, ByteView aad, RandomSource& random) {
  require_key(key32);
  if (plaintext.size() > kMaxInput || aad.size() > kMaxInput) throw std::invalid_argument("AEAD input too long");

  Bytes out(kAeadNonceSize + plaintext.size() + kAeadTagSize);
  random.fill(std::span<std::uint8_t>(out.data(), kAeadNonceSize));

  auto ctx = detail::new_cipher_ctx();
  // The GCM default IV length is 12 bytes, the size NIST SP 800-38D recommends.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key32.data(), out.data()) != 1) {
    throw std::runtime_error("AES-GCM init failed");
  }
  int len = 0;
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    throw std::runtime_error("AES-GCM aad failed");
  }
  std::uint8_t* ciphertext = out.data() + kAeadNonceSize;
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), ciphertext, &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1) {
      throw std::runtime_error("AES-GCM encryption failed");
    }
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ciphertext + written, &len) != 1) throw std::runtime_error("AES-GCM final failed");
  written += len;
  if (static_cast<std::size_t>(written) != plaintext.size()) throw std::runtime_error("AES-GCM unexpected length");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagSize),
                          ciphertext + plaintext.size()) != 1) {
    throw std::runtime_error("AES-GCM tag failed");
  }
  return out;
}

std::optional<SecretBytes> aead_open(ByteView key32, ByteView sealed, ByteView aad) {
  require_key(key32);
  if (sealed.size() < kAeadNonceSize + kAeadTagSize || sealed.size() > kMaxInput || aad.size() > kMaxInput) {
    return std::nullopt;
  }
  const ByteView nonce = sealed.first(kAeadNonceSize);
  const ByteView ciphertext = sealed.subspan(kAeadNonceSize, sealed.size() - kAeadNonceSize - kAeadTagSize);
  const ByteView tag = sealed.last(kAeadTagSize);

  auto ctx = detail::new_cipher_ctx();
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key32.data(), nonce.data()) != 1) {
    throw std::runtime_error("AES-GCM init failed");
  }
  int len = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return std::nullopt;
  }
  // One spare block: EVP may assume room for a block beyond the input.
  SecretBytes buffer(ciphertext.size() + 16);
  int written = 0;
  if (!ciphertext.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), buffer.data(), &len, ciphertext.data(), static_cast<int>(ciphertext.size())) !=
        1) {
      return std::nullopt;
    }
    written = len;
  }
  // EVP_CTRL_GCM_SET_TAG only reads the tag, despite the non-const pointer.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagSize),
                          const_cast<std::uint8_t*>(tag.data())) != 1) {
    return std::nullopt;
  }
  if (EVP_DecryptFinal_ex(ctx.get(), buffer.data() + written, &len) != 1) return std::nullopt;  // tag mismatch
  written += len;
  if (static_cast<std::size_t>(written) != ciphertext.size()) return std::nullopt;
  return SecretBytes(buffer.view().first(ciphertext.size()));
}

}  // namespace roamkey::crypto
