#include "crypto/secret.h"

#include <openssl/crypto.h>

#include <utility>

namespace roamkey::crypto {

SecretBytes::SecretBytes(std::size_t n) : bytes_(n, 0) {}

SecretBytes::SecretBytes(ByteView bytes) : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes SecretBytes::from_hex(std::string_view hex) {
  Bytes plain = crypto::from_hex(hex);
  SecretBytes secret(plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  return secret;
}

SecretBytes::SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::exchange(other.bytes_, {})) {}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    // Build the copy first so that an allocation failure leaves *this intact.
    std::vector<std::uint8_t> copy(other.bytes_);
    wipe();
    bytes_.swap(copy);
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::exchange(other.bytes_, {});
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  wipe();
}

void SecretBytes::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

}  // namespace roamkey::crypto
