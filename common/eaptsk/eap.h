#pragma once
// The generic EAP layer (RFC 3748 section 4) as far as EAP-TSK needs it: the
// header, Identity, Nak, Success and Failure. No method logic here.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.h"

namespace roamkey::eaptsk {

using crypto::Bytes;
using crypto::ByteView;

enum class EapCode : std::uint8_t { Request = 1, Response = 2, Success = 3, Failure = 4 };

inline constexpr std::uint8_t kEapTypeIdentity = 1;    // RFC 3748 section 5.1
inline constexpr std::uint8_t kEapTypeNak = 3;         // RFC 3748 section 5.3.1
inline constexpr std::uint8_t kEapTypeExpanded = 254;  // RFC 3748 section 5.7
inline constexpr std::size_t kEapHeaderSize = 4;

struct EapHeader {
  EapCode code = EapCode::Request;
  std::uint8_t identifier = 0;
  std::uint16_t length = 0;
  std::optional<std::uint8_t> type;  // Request and Response only
};

// nullopt when the buffer is no well-formed EAP packet: shorter than its
// header, a Length field that differs from the buffer size (Diameter's
// EAP-Payload carries exactly one packet, RFC 4072 section 4.1.1), an unknown
// Code, a Request/Response without a Type, or a Success/Failure with data.
std::optional<EapHeader> parse_eap_header(ByteView packet);

Bytes build_identity_request(std::uint8_t identifier);
Bytes build_identity_response(std::uint8_t identifier, std::string_view identity);

// The identity of an EAP-Response/Identity, exactly as sent (RFC 3748 section
// 5.1: not null-terminated). nullopt when the packet is anything else.
std::optional<std::string> parse_identity_response(ByteView packet);

// A legacy Nak (RFC 3748 section 5.3.1) proposing the expanded type, which is
// the only answer a peer that speaks nothing but EAP-TSK can give.
Bytes build_nak_response(std::uint8_t identifier);

Bytes build_success(std::uint8_t identifier);
Bytes build_failure(std::uint8_t identifier);

}  // namespace roamkey::eaptsk
