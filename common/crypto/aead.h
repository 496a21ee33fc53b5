#pragma once
// AES-256-GCM for K at rest in the home store. Sealed format:
//   nonce (12) || ciphertext || tag (16)
// The aad binds a record to its context (e.g. the subscriber's NAI), so a
// sealed K cannot be moved to another row unnoticed.

#include <optional>

#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace roamkey::crypto {

inline constexpr std::size_t kAeadNonceSize = 12;
inline constexpr std::size_t kAeadTagSize = 16;

// key32: 32 bytes. Throws std::invalid_argument on a bad key size,
// std::runtime_error if OpenSSL fails.
Bytes aead_seal(ByteView key32, ByteView plaintext, ByteView aad, RandomSource& random);

// nullopt when the tag does not verify (wrong key, wrong aad, tampering) or
// sealed is too short. Throws std::invalid_argument only on a bad key size.
std::optional<SecretBytes> aead_open(ByteView key32, ByteView sealed, ByteView aad);

}  // namespace roamkey::crypto
