#pragma once
// Owner of key material (K, TSK, MSK, EMSK, K_AUT). The buffer is wiped with
// OPENSSL_cleanse when it is destroyed or overwritten, and the type offers no
// way to print itself, so a secret cannot reach a log by accident.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"

namespace roamkey::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n);  // n zero bytes
  explicit SecretBytes(ByteView bytes);
  static SecretBytes from_hex(std::string_view hex);  // throws std::invalid_argument

  SecretBytes(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;  // leaves other empty
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes& operator=(SecretBytes&& other) noexcept;  // leaves other empty
  ~SecretBytes();

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  ByteView view() const { return {bytes_.data(), bytes_.size()}; }
  operator ByteView() const { return view(); }  // NOLINT: implicit on purpose, secrets feed derivations directly

 private:
  void wipe();

  std::vector<std::uint8_t> bytes_;
};

}  // namespace roamkey::crypto
