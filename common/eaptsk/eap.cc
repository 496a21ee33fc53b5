#include "eaptsk/eap.h"

#include <stdexcept>

namespace roamkey::eaptsk {
namespace {

Bytes header_only(EapCode code, std::uint8_t identifier) {
  return {static_cast<std::uint8_t>(code), identifier, 0x00, static_cast<std::uint8_t>(kEapHeaderSize)};
}

Bytes with_type(EapCode code, std::uint8_t identifier, std::uint8_t type, ByteView data) {
  const std::size_t length = kEapHeaderSize + 1 + data.size();
  Bytes out(length);
  out[0] = static_cast<std::uint8_t>(code);
  out[1] = identifier;
  out[2] = static_cast<std::uint8_t>(length >> 8);
  out[3] = static_cast<std::uint8_t>(length & 0xff);
  out[4] = type;
  for (std::size_t i = 0; i < data.size(); ++i) out[kEapHeaderSize + 1 + i] = data[i];
  return out;
}

}  // namespace

std::optional<EapHeader> parse_eap_header(ByteView packet) {
  if (packet.size() < kEapHeaderSize) return std::nullopt;
  EapHeader header;
  const std::uint8_t code = packet[0];
  if (code < 1 || code > 4) return std::nullopt;
  header.code = static_cast<EapCode>(code);
  header.identifier = packet[1];
  header.length = static_cast<std::uint16_t>((packet[2] << 8) | packet[3]);
  if (header.length != packet.size()) return std::nullopt;
  if (header.code == EapCode::Success || header.code == EapCode::Failure) {
    if (header.length != kEapHeaderSize) return std::nullopt;  // RFC 3748 section 4.2
    return header;
  }
  if (header.length < kEapHeaderSize + 1) return std::nullopt;
  header.type = packet[4];
  return header;
}

Bytes build_identity_request(std::uint8_t identifier) {
  return with_type(EapCode::Request, identifier, kEapTypeIdentity, {});
}

Bytes build_identity_response(std::uint8_t identifier, std::string_view identity) {
  if (identity.size() > 0xffff - kEapHeaderSize - 1) throw std::invalid_argument("EAP identity too long");
  return with_type(EapCode::Response, identifier, kEapTypeIdentity, crypto::as_bytes(identity));
}

std::optional<std::string> parse_identity_response(ByteView packet) {
  const auto header = parse_eap_header(packet);
  if (!header || header->code != EapCode::Response || header->type != kEapTypeIdentity) return std::nullopt;
  const ByteView identity = packet.subspan(kEapHeaderSize + 1);
  return std::string(identity.begin(), identity.end());
}

Bytes build_nak_response(std::uint8_t identifier) {
  const std::uint8_t desired = kEapTypeExpanded;
  return with_type(EapCode::Response, identifier, kEapTypeNak, ByteView(&desired, 1));
}

Bytes build_success(std::uint8_t identifier) {
  return header_only(EapCode::Success, identifier);
}
Bytes build_failure(std::uint8_t identifier) {
  return header_only(EapCode::Failure, identifier);
}

}  // namespace roamkey::eaptsk
