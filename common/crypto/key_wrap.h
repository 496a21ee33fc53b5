#pragma once
// AES key wrap (RFC 3394, default IV, no padding) with a 256-bit KEK: the
// optional end-to-end protection of TSK across Diameter relays
// (protocol.md section 2, Wrapped-TSK-Key of section 3).

#include <optional>

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace roamkey::crypto {

// kek: 32 bytes; key: a multiple of 8 bytes, at least 16. Output is key.size() + 8
// bytes. Throws std::invalid_argument on bad sizes, std::runtime_error if OpenSSL fails.
Bytes aes_key_wrap(ByteView kek, ByteView key);

// nullopt when the integrity check fails or wrapped has an impossible size
// (hostile input). Throws std::invalid_argument only when kek is not 32 bytes.
std::optional<SecretBytes> aes_key_unwrap(ByteView kek, ByteView wrapped);

}  // namespace roamkey::crypto
