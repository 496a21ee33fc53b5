#pragma once
// HMAC-SHA-256 written straight into a caller's buffer, so that derived keys
// (TSK, K_AUT) go into SecretBytes without passing through a plain Bytes.
// Internal to roamkey_crypto.

#include <cstdint>
#include <span>

#include "crypto/bytes.h"

namespace roamkey::crypto::detail {

inline constexpr std::size_t kSha256Size = 32;

// out must hold exactly kSha256Size bytes.
void hmac_sha256_into(ByteView key, ByteView data, std::span<std::uint8_t> out);

}  // namespace roamkey::crypto::detail
