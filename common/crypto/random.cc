#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace roamkey::crypto {

RandomSource::~RandomSource() = default;

void SystemRandom::fill(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int length.
  while (!out.empty()) {
    const std::size_t chunk = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    out = out.subspan(chunk);
  }
}

Bytes random_bytes(RandomSource& source, std::size_t n) {
  Bytes out(n);
  source.fill(out);
  return out;
}

}  // namespace roamkey::crypto
