#pragma once
// The derivations of protocol.md section 2 (suite 1, HMAC-SHA-256).
// Every function throws std::invalid_argument on an input of the wrong size
// (empty key, RAND / nonce / challenge not 16 bytes, parameter over 65535
// bytes); messages never contain input values.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace roamkey::crypto {

// ASCII lower-case: realms are case-insensitive and enter every derivation in
// lower case (protocol.md section 1). Non-ASCII bytes are left alone.
std::string lower_realm(std::string_view realm);

// KDF(Key, Label, P0..Pn) = HMAC-SHA-256(Key, Label || 0x00 || P0 || L0 || ... || Pn || Ln),
// Li = length of Pi as uint16 big-endian (3GPP TS 33.220 Annex B.2 with a text label).
SecretBytes kdf(ByteView key, std::string_view label, std::initializer_list<ByteView> params);

// TSK = KDF(K, "RoamKey TSK", RAND, lower(visited_realm), uint32be(generation)).
SecretBytes derive_tsk(ByteView k, ByteView rand, std::string_view visited_realm, std::uint32_t generation);

// MN_AUTH = KDF(TSK, "RoamKey MN-AUTH", HOST_CHALLENGE, NAI) (claim 26, first authentication data).
Bytes mn_auth(ByteView tsk, ByteView host_challenge, std::string_view nai);

// HOME_AUTH = KDF(K, "RoamKey HOME-AUTH", HOST_CHALLENGE, lower(visited_realm), MN_AUTH)
// (claim 26, second authentication data).
Bytes home_auth(ByteView k, ByteView host_challenge, std::string_view visited_realm, ByteView mn_auth);

// AUTH_NET = KDF(TSK_new, "RoamKey AUTH-NET", NONCE_B, RAND_new) (claim 21).
Bytes auth_net(ByteView tsk_new, ByteView nonce_b, ByteView rand_new);

// RES_U = KDF(TSK_new, "RoamKey RES-U", NONCE_U, NAI) (claim 24).
Bytes res_u(ByteView tsk_new, ByteView nonce_u, std::string_view nai);

}  // namespace roamkey::crypto
