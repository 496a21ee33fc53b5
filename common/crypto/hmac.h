#pragma once
// HMAC-SHA-256 (RFC 2104), the PRF of suite 1 (protocol.md section 2).

#include "crypto/bytes.h"

namespace roamkey::crypto {

// 32 bytes. Throws std::invalid_argument on an empty key, std::runtime_error
// if OpenSSL fails.
Bytes hmac_sha256(ByteView key, ByteView data);

// CRYPTO_memcmp: time independent of where a and b differ. Different sizes
// compare unequal (sizes are not secret).
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace roamkey::crypto
