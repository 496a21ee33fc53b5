#pragma once
// Session keys of one EAP-TSK conversation (protocol.md section 2, HKDF of RFC 5869):
//   PRK = HKDF-Extract(salt = NONCE_P || NONCE_S, IKM = TSK)
//   OKM = HKDF-Expand(PRK, "EAP-TSK v1" || 0x00 || NAI || 0x00 || lower(visited_realm), 160)
//   MSK = OKM[0..63], EMSK = OKM[64..127], K_AUT = OKM[128..159]
//   EAP Session-Id = 0xFE || NONCE_P || NONCE_S

#include <string_view>

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace roamkey::crypto {

struct SessionKeys {
  SecretBytes msk;    // 64 bytes, RFC 3748 MSK, delivered to the AAA client (sec. 4)
  SecretBytes emsk;   // 64 bytes, never leaves the EAP server
  SecretBytes k_aut;  // 32 bytes, keys AT_MAC
  Bytes session_id;   // 33 bytes, EAP-Key-Name
};

// nai: the exact bytes of the EAP-Response/Identity. Throws std::invalid_argument
// when a nonce is not 16 bytes or the TSK is empty.
SessionKeys derive_session_keys(ByteView tsk, ByteView nonce_p, ByteView nonce_s, std::string_view nai,
                                std::string_view visited_realm);

}  // namespace roamkey::crypto
