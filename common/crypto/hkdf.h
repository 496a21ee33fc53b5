#pragma once
// HKDF with SHA-256 (RFC 5869), extract then expand.

#include <cstddef>

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace roamkey::crypto {

// An empty salt means HashLen zero bytes (RFC 5869 section 2.2). length is at
// most 255 * 32. Throws std::invalid_argument on an empty ikm or a bad length,
// std::runtime_error if OpenSSL fails.
SecretBytes hkdf_sha256(ByteView salt, ByteView ikm, ByteView info, std::size_t length);

}  // namespace roamkey::crypto
