#pragma once
// EAP-TSK packet codec (protocol.md section 5).
//
//   Code | Identifier | Length | Type=254 | Vendor-Id=00 7E D9 | Vendor-Type=1 | Op-Code | Flags=0 | attributes
//   attribute = Type (2) | Length (2, of Value) | Value, big-endian, no padding
//
// decode() validates everything a hostile peer controls and never throws:
// the EAP Length against the buffer, the expanded type, the Op-Code and its
// direction, each attribute's bounds and fixed length, duplicates, unknown
// types (< 128 invalid, >= 128 skipped), and the attribute set of the op.
// encode() emits the attributes in the order of the op table with AT_MAC
// last, and throws std::invalid_argument when the caller's Packet does not fit
// the op table (a programming error, not an input error).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "eaptsk/eap.h"

namespace roamkey::eaptsk {

inline constexpr std::uint32_t kVendorId = 0x007ED9;  // 32473, RFC 5612 documentation enterprise number
inline constexpr std::uint32_t kVendorType = 1;
inline constexpr std::size_t kTskHeaderSize = 14;  // EAP header, expanded type, Op-Code, Flags
inline constexpr std::size_t kMacSize = 16;
inline constexpr std::size_t kNonceSize = 16;      // RAND, NONCE_*, HOST_CHALLENGE
inline constexpr std::size_t kAuthDataSize = 32;   // MN_AUTH, HOME_AUTH, AUTH_NET, RES_U
inline constexpr std::size_t kMaxRealmSize = 253;  // RFC 7542 section 2.2

enum class Op : std::uint8_t {
  Challenge = 1,
  ChallengeResponse = 2,
  Confirm = 3,
  ConfirmAck = 4,
  UpdateRequest = 5,
  UpdateChallenge = 6,
  UpdateProof = 7,
  UpdateConfirm = 8,
  Error = 15,
};

enum class AttributeType : std::uint16_t {
  Rand = 1,
  KeyGen = 2,
  Realm = 3,
  NonceS = 4,
  NonceP = 5,
  Mac = 6,
  HostChallenge = 7,
  MnAuth = 8,
  HomeAuth = 9,
  AuthNet = 10,
  NonceU = 11,
  ResU = 12,
  ErrorCode = 13,
  NonceB = 14,
};

// First value of the skippable attribute range (protocol.md section 5).
inline constexpr std::uint16_t kFirstSkippableAttribute = 128;

// AT_ERROR_CODE values. A received code outside this list is kept as its
// number (the enum holds any uint16).
enum class ErrorCode : std::uint16_t {
  StaleGeneration = 1,
  InvalidMac = 2,
  NetworkAuthFailed = 3,
  HomeAuthFailed = 4,
  UpdateAuthFailed = 5,
  Unsupported = 6,
  Malformed = 7,
};

std::string_view op_name(Op op);
std::string_view error_code_name(ErrorCode code);

// One EAP-TSK message. An attribute is present when its optional is set.
struct Packet {
  EapCode code = EapCode::Request;  // Request or Response
  std::uint8_t identifier = 0;
  Op op = Op::Challenge;

  std::optional<Bytes> rand;
  std::optional<std::uint32_t> key_gen;
  std::optional<std::string> realm;
  std::optional<Bytes> nonce_s;
  std::optional<Bytes> nonce_p;
  std::optional<Bytes> host_challenge;
  std::optional<Bytes> mn_auth;
  std::optional<Bytes> home_auth;
  std::optional<Bytes> auth_net;
  std::optional<Bytes> nonce_u;
  std::optional<Bytes> res_u;
  std::optional<Bytes> nonce_b;
  std::optional<ErrorCode> error_code;

  // AT_MAC as received. On encode: with a K_AUT, leave it unset (the MAC is
  // computed); without one, a set value is emitted as is (tests forge MACs).
  std::optional<Bytes> mac;
  // Set by decode: where the AT_MAC value starts in the decoded buffer.
  std::optional<std::size_t> mac_offset;
};

enum class DecodeError : std::uint8_t {
  None,
  Truncated,             // shorter than the EAP-TSK header, or an attribute runs past the end
  LengthMismatch,        // the EAP Length field differs from the buffer size
  NotRequestOrResponse,  // unknown EAP Code, or Success/Failure
  UnsupportedType,       // not Type 254 / Vendor-Id 0x007ED9 / Vendor-Type 1
  UnknownOp,
  WrongDirection,    // a server op in a Response or a peer op in a Request
  UnknownAttribute,  // type below 128 that is not in the table
  DuplicateAttribute,
  BadAttributeLength,   // wrong fixed length, or a realm that is empty or too long
  UnexpectedAttribute,  // a known attribute the op does not carry
  MissingAttribute,     // a required attribute is absent (incl. half of HOST_CHALLENGE/MN_AUTH)
};

std::string_view decode_error_name(DecodeError error);

// The AT_ERROR_CODE that answers a decode error: UNSUPPORTED for a foreign
// type or op, MALFORMED otherwise.
ErrorCode error_code_for(DecodeError error);

struct DecodeResult {
  std::optional<Packet> packet;  // set on success
  DecodeError error = DecodeError::None;

  explicit operator bool() const { return packet.has_value(); }
};

DecodeResult decode(ByteView bytes);

// With a non-empty k_aut, AT_MAC is appended and computed; packet.mac must be
// unset then.
Bytes encode(const Packet& packet, ByteView k_aut = {});

// First 16 bytes of HMAC-SHA-256(K_AUT, bytes) where bytes is the whole packet
// with the AT_MAC value zeroed.
Bytes compute_mac(ByteView packet_with_zero_mac, ByteView k_aut);

// Verifies the AT_MAC of a packet that decode() accepted from the same bytes,
// in constant time. False when the packet carries no AT_MAC.
bool verify_mac(ByteView bytes, const Packet& decoded, ByteView k_aut);

}  // namespace roamkey::eaptsk
