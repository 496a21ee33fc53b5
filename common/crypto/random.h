#pragma once
// Source of RAND, NONCE_* and HOST_CHALLENGE (protocol.md section 2: "16 bytes
// from a cryptographic RNG"). An interface so that tests can script nonces and
// reproduce the transcript of test-vectors.json.

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/bytes.h"

namespace roamkey::crypto {

class RandomSource {
 public:
  virtual ~RandomSource();
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// OpenSSL's CSPRNG (RAND_bytes). Throws std::runtime_error if it fails.
class SystemRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

Bytes random_bytes(RandomSource& source, std::size_t n);

}  // namespace roamkey::crypto
