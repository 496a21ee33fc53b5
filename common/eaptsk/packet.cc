#include "eaptsk/packet.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "crypto/hmac.h"

namespace roamkey::eaptsk {
namespace {

using Mask = std::uint32_t;

constexpr Mask bit(AttributeType type) {
  return Mask{1} << static_cast<unsigned>(type);
}

constexpr std::uint8_t kFromServer = 1;  // carried in EAP-Requests
constexpr std::uint8_t kFromPeer = 2;    // carried in EAP-Responses

// The op table of protocol.md section 5.
struct OpRule {
  Op op;
  std::uint8_t directions;
  Mask required;
  Mask optional;
};

constexpr std::array<OpRule, 9> kOpRules{{
    {Op::Challenge, kFromServer,
     bit(AttributeType::Rand) | bit(AttributeType::KeyGen) | bit(AttributeType::Realm) | bit(AttributeType::NonceS), 0},
    {Op::ChallengeResponse, kFromPeer, bit(AttributeType::NonceP) | bit(AttributeType::Mac),
     bit(AttributeType::HostChallenge) | bit(AttributeType::MnAuth)},
    {Op::Confirm, kFromServer, bit(AttributeType::Mac), bit(AttributeType::HomeAuth)},
    {Op::ConfirmAck, kFromPeer, bit(AttributeType::Mac), 0},
    {Op::UpdateRequest, kFromServer, bit(AttributeType::Rand) | bit(AttributeType::KeyGen) | bit(AttributeType::Mac),
     0},
    {Op::UpdateChallenge, kFromPeer, bit(AttributeType::NonceB) | bit(AttributeType::Mac), 0},
    {Op::UpdateProof, kFromServer, bit(AttributeType::AuthNet) | bit(AttributeType::NonceU) | bit(AttributeType::Mac),
     0},
    {Op::UpdateConfirm, kFromPeer, bit(AttributeType::ResU) | bit(AttributeType::Mac), 0},
    // AT_MAC once K_AUT exists; the codec cannot know, the state machines check.
    {Op::Error, kFromServer | kFromPeer, bit(AttributeType::ErrorCode), bit(AttributeType::Mac)},
}};

// Every op's attributes appear in this order in the op table, so one list
// serves all of them; AT_MAC last because it covers everything before it.
constexpr std::array<AttributeType, 14> kEncodeOrder{
    AttributeType::Rand,      AttributeType::KeyGen,        AttributeType::Realm,  AttributeType::NonceS,
    AttributeType::NonceP,    AttributeType::HostChallenge, AttributeType::MnAuth, AttributeType::HomeAuth,
    AttributeType::AuthNet,   AttributeType::NonceU,        AttributeType::ResU,   AttributeType::NonceB,
    AttributeType::ErrorCode, AttributeType::Mac,
};

constexpr std::uint16_t kLastKnownAttribute = static_cast<std::uint16_t>(AttributeType::NonceB);

// The attribute table: fixed Value length, 0 for AT_REALM (variable).
constexpr std::size_t fixed_length(AttributeType type) {
  switch (type) {
    case AttributeType::Rand:
    case AttributeType::NonceS:
    case AttributeType::NonceP:
    case AttributeType::HostChallenge:
    case AttributeType::NonceU:
    case AttributeType::NonceB: return kNonceSize;
    case AttributeType::Mac: return kMacSize;
    case AttributeType::MnAuth:
    case AttributeType::HomeAuth:
    case AttributeType::AuthNet:
    case AttributeType::ResU: return kAuthDataSize;
    case AttributeType::KeyGen: return 4;
    case AttributeType::ErrorCode: return 2;
    case AttributeType::Realm: return 0;
  }
  return 0;
}

bool length_ok(AttributeType type, std::size_t length) {
  if (type == AttributeType::Realm) return length >= 1 && length <= kMaxRealmSize;
  return length == fixed_length(type);
}

// The attributes whose value is a plain octet string.
std::optional<Bytes> Packet::*bytes_member(AttributeType type) {
  switch (type) {
    case AttributeType::Rand: return &Packet::rand;
    case AttributeType::NonceS: return &Packet::nonce_s;
    case AttributeType::NonceP: return &Packet::nonce_p;
    case AttributeType::Mac: return &Packet::mac;
    case AttributeType::HostChallenge: return &Packet::host_challenge;
    case AttributeType::MnAuth: return &Packet::mn_auth;
    case AttributeType::HomeAuth: return &Packet::home_auth;
    case AttributeType::AuthNet: return &Packet::auth_net;
    case AttributeType::NonceU: return &Packet::nonce_u;
    case AttributeType::ResU: return &Packet::res_u;
    case AttributeType::NonceB: return &Packet::nonce_b;
    case AttributeType::KeyGen:
    case AttributeType::Realm:
    case AttributeType::ErrorCode: return nullptr;
  }
  return nullptr;
}

const OpRule* find_rule(std::uint8_t op) {
  const auto it = std::find_if(kOpRules.begin(), kOpRules.end(),
                               [op](const OpRule& r) { return static_cast<std::uint8_t>(r.op) == op; });
  return it == kOpRules.end() ? nullptr : &*it;
}

std::uint8_t direction_of(EapCode code) {
  if (code == EapCode::Request) return kFromServer;
  if (code == EapCode::Response) return kFromPeer;
  return 0;
}

DecodeError check_attribute_set(const OpRule& rule, Mask present) {
  if ((present & ~(rule.required | rule.optional)) != 0) return DecodeError::UnexpectedAttribute;
  if ((present & rule.required) != rule.required) return DecodeError::MissingAttribute;
  // HOST_CHALLENGE and MN_AUTH travel together (protocol.md section 5, op 2).
  const Mask pair = bit(AttributeType::HostChallenge) | bit(AttributeType::MnAuth);
  if ((present & pair) != 0 && (present & pair) != pair) return DecodeError::MissingAttribute;
  return DecodeError::None;
}

Mask present_mask(const Packet& p) {
  Mask mask = 0;
  for (const AttributeType type : kEncodeOrder) {
    if (const auto member = bytes_member(type)) {
      if ((p.*member).has_value()) mask |= bit(type);
    }
  }
  if (p.key_gen) mask |= bit(AttributeType::KeyGen);
  if (p.realm) mask |= bit(AttributeType::Realm);
  if (p.error_code) mask |= bit(AttributeType::ErrorCode);
  return mask;
}

std::uint16_t read_u16(ByteView b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

std::uint32_t read_u32(ByteView b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         std::uint32_t{b[at + 3]};
}

void append_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void append_u32(Bytes& out, std::uint32_t v) {
  append_u16(out, static_cast<std::uint16_t>(v >> 16));
  append_u16(out, static_cast<std::uint16_t>(v));
}

DecodeResult failed(DecodeError error) {
  return {std::nullopt, error};
}

}  // namespace

std::string_view op_name(Op op) {
  switch (op) {
    case Op::Challenge: return "Challenge";
    case Op::ChallengeResponse: return "Challenge-Response";
    case Op::Confirm: return "Confirm";
    case Op::ConfirmAck: return "Confirm-Ack";
    case Op::UpdateRequest: return "Update-Request";
    case Op::UpdateChallenge: return "Update-Challenge";
    case Op::UpdateProof: return "Update-Proof";
    case Op::UpdateConfirm: return "Update-Confirm";
    case Op::Error: return "Error";
  }
  return "unknown op";
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::StaleGeneration: return "STALE_GENERATION";
    case ErrorCode::InvalidMac: return "INVALID_MAC";
    case ErrorCode::NetworkAuthFailed: return "NETWORK_AUTH_FAILED";
    case ErrorCode::HomeAuthFailed: return "HOME_AUTH_FAILED";
    case ErrorCode::UpdateAuthFailed: return "UPDATE_AUTH_FAILED";
    case ErrorCode::Unsupported: return "UNSUPPORTED";
    case ErrorCode::Malformed: return "MALFORMED";
  }
  return "unknown error code";
}

std::string_view decode_error_name(DecodeError error) {
  switch (error) {
    case DecodeError::None: return "none";
    case DecodeError::Truncated: return "truncated";
    case DecodeError::LengthMismatch: return "EAP length does not match the packet";
    case DecodeError::NotRequestOrResponse: return "not an EAP Request or Response";
    case DecodeError::UnsupportedType: return "not EAP-TSK";
    case DecodeError::UnknownOp: return "unknown Op-Code";
    case DecodeError::WrongDirection: return "Op-Code not allowed in this direction";
    case DecodeError::UnknownAttribute: return "unknown non-skippable attribute";
    case DecodeError::DuplicateAttribute: return "duplicate attribute";
    case DecodeError::BadAttributeLength: return "bad attribute length";
    case DecodeError::UnexpectedAttribute: return "attribute not allowed in this op";
    case DecodeError::MissingAttribute: return "required attribute missing";
  }
  return "unknown decode error";
}

ErrorCode error_code_for(DecodeError error) {
  return error == DecodeError::UnsupportedType || error == DecodeError::UnknownOp ? ErrorCode::Unsupported
                                                                                  : ErrorCode::Malformed;
}

DecodeResult decode(ByteView bytes) {
  if (bytes.size() < kEapHeaderSize) return failed(DecodeError::Truncated);
  const std::uint8_t code = bytes[0];
  if (code != static_cast<std::uint8_t>(EapCode::Request) && code != static_cast<std::uint8_t>(EapCode::Response)) {
    return failed(DecodeError::NotRequestOrResponse);
  }
  if (read_u16(bytes, 2) != bytes.size()) return failed(DecodeError::LengthMismatch);
  if (bytes.size() < kEapHeaderSize + 1) return failed(DecodeError::Truncated);
  if (bytes[4] != kEapTypeExpanded) return failed(DecodeError::UnsupportedType);
  if (bytes.size() < kTskHeaderSize) return failed(DecodeError::Truncated);
  const std::uint32_t vendor_id = (std::uint32_t{bytes[5]} << 16) | (std::uint32_t{bytes[6]} << 8) | bytes[7];
  if (vendor_id != kVendorId || read_u32(bytes, 8) != kVendorType) return failed(DecodeError::UnsupportedType);

  Packet p;
  p.code = static_cast<EapCode>(code);
  p.identifier = bytes[1];
  const OpRule* rule = find_rule(bytes[12]);
  if (rule == nullptr) return failed(DecodeError::UnknownOp);
  if ((rule->directions & direction_of(p.code)) == 0) return failed(DecodeError::WrongDirection);
  p.op = rule->op;
  // bytes[13], Flags: sent as 0; not checked on receipt so that a later
  // version may define flags (the MAC covers them anyway).

  Mask present = 0;
  std::size_t offset = kTskHeaderSize;
  while (offset < bytes.size()) {
    if (bytes.size() - offset < 4) return failed(DecodeError::Truncated);
    const std::uint16_t raw_type = read_u16(bytes, offset);
    const std::size_t length = read_u16(bytes, offset + 2);
    const std::size_t value_at = offset + 4;
    if (length > bytes.size() - value_at) return failed(DecodeError::Truncated);
    const ByteView value = bytes.subspan(value_at, length);
    offset = value_at + length;

    if (raw_type >= kFirstSkippableAttribute) continue;
    if (raw_type == 0 || raw_type > kLastKnownAttribute) return failed(DecodeError::UnknownAttribute);
    const auto type = static_cast<AttributeType>(raw_type);
    if ((present & bit(type)) != 0) return failed(DecodeError::DuplicateAttribute);
    present |= bit(type);
    if (!length_ok(type, length)) return failed(DecodeError::BadAttributeLength);

    if (const auto member = bytes_member(type)) {
      p.*member = Bytes(value.begin(), value.end());
      if (type == AttributeType::Mac) p.mac_offset = value_at;
    } else if (type == AttributeType::KeyGen) {
      p.key_gen = read_u32(value, 0);
    } else if (type == AttributeType::Realm) {
      p.realm = std::string(value.begin(), value.end());
    } else if (type == AttributeType::ErrorCode) {
      p.error_code = static_cast<ErrorCode>(read_u16(value, 0));
    }
  }
  if (const DecodeError e = check_attribute_set(*rule, present); e != DecodeError::None) return failed(e);
  return {std::move(p), DecodeError::None};
}

Bytes encode(const Packet& packet, ByteView k_aut) {
  const OpRule* rule = find_rule(static_cast<std::uint8_t>(packet.op));
  if (rule == nullptr) throw std::invalid_argument("EAP-TSK encode: unknown op");
  if ((rule->directions & direction_of(packet.code)) == 0) {
    throw std::invalid_argument("EAP-TSK encode: op not allowed with this EAP code");
  }
  const bool compute = !k_aut.empty();
  if (compute && packet.mac) throw std::invalid_argument("EAP-TSK encode: AT_MAC given together with K_AUT");
  const Mask present = present_mask(packet) | (compute ? bit(AttributeType::Mac) : 0);
  if (check_attribute_set(*rule, present) != DecodeError::None) {
    throw std::invalid_argument("EAP-TSK encode: attributes do not match the op table for " +
                                std::string(op_name(packet.op)));
  }

  Bytes out{static_cast<std::uint8_t>(packet.code),
            packet.identifier,
            0,
            0,
            kEapTypeExpanded,
            static_cast<std::uint8_t>(kVendorId >> 16),
            static_cast<std::uint8_t>(kVendorId >> 8),
            static_cast<std::uint8_t>(kVendorId)};
  append_u32(out, kVendorType);
  out.push_back(static_cast<std::uint8_t>(packet.op));
  out.push_back(0);  // Flags

  std::size_t mac_at = 0;
  for (const AttributeType type : kEncodeOrder) {
    if ((present & bit(type)) == 0) continue;
    Bytes value;
    if (type == AttributeType::Mac && compute) {
      value.assign(kMacSize, 0);
    } else if (const auto member = bytes_member(type)) {
      value = *(packet.*member);
    } else if (type == AttributeType::KeyGen) {
      append_u32(value, *packet.key_gen);
    } else if (type == AttributeType::Realm) {
      const ByteView realm = crypto::as_bytes(*packet.realm);
      value.assign(realm.begin(), realm.end());
    } else if (type == AttributeType::ErrorCode) {
      append_u16(value, static_cast<std::uint16_t>(*packet.error_code));
    }
    if (!length_ok(type, value.size())) throw std::invalid_argument("EAP-TSK encode: bad attribute length");
    append_u16(out, static_cast<std::uint16_t>(type));
    append_u16(out, static_cast<std::uint16_t>(value.size()));
    if (type == AttributeType::Mac) mac_at = out.size();
    out.insert(out.end(), value.begin(), value.end());
  }
  if (out.size() > 0xffff) throw std::invalid_argument("EAP-TSK encode: packet too long");
  out[2] = static_cast<std::uint8_t>(out.size() >> 8);
  out[3] = static_cast<std::uint8_t>(out.size());

  if (compute) {
    const Bytes mac = compute_mac(out, k_aut);
    std::copy(mac.begin(), mac.end(), out.begin() + static_cast<std::ptrdiff_t>(mac_at));
  }
  return out;
}

Bytes compute_mac(ByteView packet_with_zero_mac, ByteView k_aut) {
  Bytes mac = crypto::hmac_sha256(k_aut, packet_with_zero_mac);
  mac.resize(kMacSize);
  return mac;
}

bool verify_mac(ByteView bytes, const Packet& decoded, ByteView k_aut) {
  if (!decoded.mac_offset || k_aut.empty()) return false;
  const std::size_t at = *decoded.mac_offset;
  if (at > bytes.size() || bytes.size() - at < kMacSize) return false;
  Bytes zeroed(bytes.begin(), bytes.end());
  std::fill_n(zeroed.begin() + static_cast<std::ptrdiff_t>(at), kMacSize, 0);
  return crypto::constant_time_equal(compute_mac(zeroed, k_aut), bytes.subspan(at, kMacSize));
}

}  // namespace roamkey::eaptsk
