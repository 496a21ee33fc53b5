#include <gtest/gtest.h>

#include <stdexcept>

#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "eaptsk/packet.h"

namespace roamkey::eaptsk {
namespace {

using crypto::from_hex;
using crypto::to_hex;

const crypto::SecretBytes kKaut =
    crypto::SecretBytes::from_hex("5fe286f254a3f5e3c654b0f235700524428fe76de09109122ce184619869c66d");

Bytes n16(std::uint8_t fill) {
  return Bytes(16, fill);
}
Bytes n32(std::uint8_t fill) {
  return Bytes(32, fill);
}

Packet challenge() {
  Packet p;
  p.code = EapCode::Request;
  p.identifier = 1;
  p.op = Op::Challenge;
  p.rand = n16(0xa0);
  p.key_gen = 7;
  p.realm = "visited.example";
  p.nonce_s = n16(0x51);
  return p;
}

Packet challenge_response() {
  Packet p;
  p.code = EapCode::Response;
  p.identifier = 1;
  p.op = Op::ChallengeResponse;
  p.nonce_p = n16(0x70);
  p.host_challenge = n16(0xc0);
  p.mn_auth = n32(0xf8);
  return p;
}

// A TLV as it appears on the wire.
Bytes tlv(std::uint16_t type, const Bytes& value) {
  Bytes out{static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type),
            static_cast<std::uint8_t>(value.size() >> 8), static_cast<std::uint8_t>(value.size())};
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

// An EAP-TSK packet from raw attribute bytes, with a correct EAP Length.
Bytes raw_packet(std::uint8_t code, std::uint8_t op, const Bytes& attributes) {
  Bytes out = from_hex(
      "0000000"
      "0fe007ed900000001");
  out[0] = code;
  out[1] = 1;
  out.push_back(op);
  out.push_back(0);
  out.insert(out.end(), attributes.begin(), attributes.end());
  out[2] = static_cast<std::uint8_t>(out.size() >> 8);
  out[3] = static_cast<std::uint8_t>(out.size());
  return out;
}

Bytes challenge_attributes() {
  Bytes a = tlv(1, n16(0xa0));
  for (const Bytes& more : {tlv(2, from_hex("00000007")), tlv(3, Bytes{'v', '.', 'e'}), tlv(4, n16(0x51))}) {
    a.insert(a.end(), more.begin(), more.end());
  }
  return a;
}

DecodeError error_of(const Bytes& bytes) {
  return decode(bytes).error;
}

TEST(Codec, ChallengeRoundTripWithoutMac) {
  const Bytes bytes = encode(challenge());
  const DecodeResult decoded = decode(bytes);
  ASSERT_TRUE(decoded) << decode_error_name(decoded.error);
  const Packet& p = *decoded.packet;
  EXPECT_EQ(p.code, EapCode::Request);
  EXPECT_EQ(p.identifier, 1);
  EXPECT_EQ(p.op, Op::Challenge);
  EXPECT_EQ(p.rand, n16(0xa0));
  EXPECT_EQ(p.key_gen, 7u);
  EXPECT_EQ(p.realm, "visited.example");
  EXPECT_EQ(p.nonce_s, n16(0x51));
  EXPECT_FALSE(p.mac.has_value());
  EXPECT_EQ(encode(p), bytes);
}

TEST(Codec, EveryOpRoundTripsWithMac) {
  std::vector<Packet> packets;
  packets.push_back(challenge_response());
  Packet confirm;
  confirm.op = Op::Confirm;
  confirm.home_auth = n32(0x4b);
  packets.push_back(confirm);
  Packet confirm_plain;
  confirm_plain.op = Op::Confirm;
  packets.push_back(confirm_plain);
  Packet ack;
  ack.code = EapCode::Response;
  ack.op = Op::ConfirmAck;
  packets.push_back(ack);
  Packet update;
  update.op = Op::UpdateRequest;
  update.rand = n16(0xb0);
  update.key_gen = 0xfffffffe;
  packets.push_back(update);
  Packet update_challenge;
  update_challenge.code = EapCode::Response;
  update_challenge.op = Op::UpdateChallenge;
  update_challenge.nonce_b = n16(0xbb);
  packets.push_back(update_challenge);
  Packet proof;
  proof.op = Op::UpdateProof;
  proof.auth_net = n32(0x94);
  proof.nonce_u = n16(0xee);
  packets.push_back(proof);
  Packet update_confirm;
  update_confirm.code = EapCode::Response;
  update_confirm.op = Op::UpdateConfirm;
  update_confirm.res_u = n32(0x42);
  packets.push_back(update_confirm);
  Packet error;
  error.op = Op::Error;
  error.error_code = ErrorCode::Malformed;
  packets.push_back(error);
  Packet peer_error = error;
  peer_error.code = EapCode::Response;
  peer_error.error_code = static_cast<ErrorCode>(0x1234);  // unknown codes survive as numbers
  packets.push_back(peer_error);

  for (const Packet& original : packets) {
    SCOPED_TRACE(std::string(op_name(original.op)));
    const Bytes bytes = encode(original, kKaut);
    const DecodeResult decoded = decode(bytes);
    ASSERT_TRUE(decoded) << decode_error_name(decoded.error);
    const Packet& p = *decoded.packet;
    EXPECT_EQ(p.op, original.op);
    EXPECT_EQ(p.code, original.code);
    EXPECT_EQ(p.rand, original.rand);
    EXPECT_EQ(p.key_gen, original.key_gen);
    EXPECT_EQ(p.nonce_p, original.nonce_p);
    EXPECT_EQ(p.host_challenge, original.host_challenge);
    EXPECT_EQ(p.mn_auth, original.mn_auth);
    EXPECT_EQ(p.home_auth, original.home_auth);
    EXPECT_EQ(p.auth_net, original.auth_net);
    EXPECT_EQ(p.nonce_u, original.nonce_u);
    EXPECT_EQ(p.res_u, original.res_u);
    EXPECT_EQ(p.nonce_b, original.nonce_b);
    EXPECT_EQ(p.error_code, original.error_code);
    ASSERT_TRUE(p.mac_offset.has_value());
    EXPECT_EQ(*p.mac_offset, bytes.size() - kMacSize);  // AT_MAC last
    EXPECT_TRUE(verify_mac(bytes, p, kKaut));
    Bytes other_key(kKaut.view().begin(), kKaut.view().end());
    other_key[0] ^= 1;
    EXPECT_FALSE(verify_mac(bytes, p, other_key));
  }
}

TEST(Codec, EmitsAttributesInOpTableOrder) {
  // Challenge-Response: NONCE_P, HOST_CHALLENGE, MN_AUTH, MAC.
  const Bytes bytes = encode(challenge_response(), kKaut);
  EXPECT_EQ(to_hex(ByteView(bytes).subspan(14, 2)), "0005");
  EXPECT_EQ(to_hex(ByteView(bytes).subspan(14 + 20, 2)), "0007");
  EXPECT_EQ(to_hex(ByteView(bytes).subspan(14 + 40, 2)), "0008");
  EXPECT_EQ(to_hex(ByteView(bytes).subspan(14 + 76, 2)), "0006");
}

TEST(Codec, AcceptsAnyAttributeOrder) {
  Bytes attributes = tlv(4, n16(0x51));
  for (const Bytes& more : {tlv(3, Bytes{'v'}), tlv(2, from_hex("00000001")), tlv(1, n16(0xa0))}) {
    attributes.insert(attributes.end(), more.begin(), more.end());
  }
  const DecodeResult decoded = decode(raw_packet(1, 1, attributes));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded.packet->realm, "v");
}

TEST(Codec, MacCoversThePacketWithMacZeroed) {
  const Bytes bytes = encode(challenge_response(), kKaut);
  Bytes zeroed = bytes;
  std::fill(zeroed.end() - 16, zeroed.end(), 0);
  EXPECT_EQ(to_hex(ByteView(bytes).last(16)), to_hex(compute_mac(zeroed, kKaut)));
  EXPECT_EQ(compute_mac(zeroed, kKaut).size(), kMacSize);
}

TEST(Codec, TamperedPacketFailsMac) {
  const Bytes bytes = encode(challenge_response(), kKaut);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 2 || i == 3) continue;  // the Length would fail decoding first
    Bytes tampered = bytes;
    tampered[i] ^= 0x01;
    const DecodeResult decoded = decode(tampered);
    if (!decoded) continue;  // the header change made it undecodable: just as good
    EXPECT_FALSE(verify_mac(tampered, *decoded.packet, kKaut)) << "byte " << i;
  }
}

TEST(Codec, VerifyMacWithoutMacIsFalse) {
  const Bytes bytes = encode(challenge());
  const DecodeResult decoded = decode(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_FALSE(verify_mac(bytes, *decoded.packet, kKaut));
}

TEST(Codec, FlagsAreIgnoredOnReceipt) {
  Bytes bytes = encode(challenge());
  bytes[13] = 0x80;
  EXPECT_TRUE(decode(bytes));
}

TEST(Codec, SkipsAttributesFrom128AndMacCoversThem) {
  Bytes attributes = tlv(200, from_hex("0102030405"));
  const Bytes challenge_attrs = challenge_attributes();
  attributes.insert(attributes.end(), challenge_attrs.begin(), challenge_attrs.end());
  const Bytes more = tlv(128, {});
  attributes.insert(attributes.end(), more.begin(), more.end());
  EXPECT_TRUE(decode(raw_packet(1, 1, attributes)));

  // A Confirm-Ack with a skippable attribute before AT_MAC.
  Bytes ack_attributes = tlv(0xffff, from_hex("aa"));
  const Bytes mac = tlv(6, Bytes(16, 0));
  ack_attributes.insert(ack_attributes.end(), mac.begin(), mac.end());
  Bytes ack = raw_packet(2, 4, ack_attributes);
  const Bytes computed = compute_mac(ack, kKaut);
  std::copy(computed.begin(), computed.end(), ack.end() - 16);
  const DecodeResult decoded = decode(ack);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(verify_mac(ack, *decoded.packet, kKaut));
  ack[16] ^= 1;  // inside the skippable value
  EXPECT_FALSE(verify_mac(ack, *decode(ack).packet, kKaut));
}

TEST(Codec, UnknownAttributeBelow128IsInvalid) {
  for (const std::uint16_t type : {0, 15, 100, 127}) {
    Bytes attributes = challenge_attributes();
    const Bytes unknown = tlv(type, from_hex("00"));
    attributes.insert(attributes.end(), unknown.begin(), unknown.end());
    EXPECT_EQ(error_of(raw_packet(1, 1, attributes)), DecodeError::UnknownAttribute) << type;
  }
}

TEST(Codec, DuplicateAttributeIsInvalid) {
  Bytes attributes = challenge_attributes();
  const Bytes again = tlv(4, n16(0x52));
  attributes.insert(attributes.end(), again.begin(), again.end());
  EXPECT_EQ(error_of(raw_packet(1, 1, attributes)), DecodeError::DuplicateAttribute);
}

TEST(Codec, WrongFixedLengthIsInvalid) {
  struct Case {
    std::uint8_t code;
    std::uint8_t op;
    Bytes attributes;
  };
  const std::vector<Case> cases{
      {1, 1, tlv(1, Bytes(15, 0))},          // AT_RAND
      {1, 1, tlv(2, from_hex("000007"))},    // AT_KEY_GEN
      {1, 1, tlv(4, Bytes(17, 0))},          // AT_NONCE_S
      {2, 2, tlv(5, Bytes(0))},              // AT_NONCE_P
      {2, 4, tlv(6, Bytes(32, 0))},          // AT_MAC
      {2, 2, tlv(7, Bytes(8, 0))},           // AT_HOST_CHALLENGE
      {2, 2, tlv(8, Bytes(16, 0))},          // AT_MN_AUTH
      {1, 3, tlv(9, Bytes(31, 0))},          // AT_HOME_AUTH
      {1, 7, tlv(10, Bytes(33, 0))},         // AT_AUTH_NET
      {1, 7, tlv(11, Bytes(1, 0))},          // AT_NONCE_U
      {2, 8, tlv(12, Bytes(16, 0))},         // AT_RES_U
      {1, 15, tlv(13, from_hex("000007"))},  // AT_ERROR_CODE
      {2, 6, tlv(14, Bytes(12, 0))},         // AT_NONCE_B
      {1, 1, tlv(3, Bytes{})},               // AT_REALM empty
      {1, 1, tlv(3, Bytes(254, 'a'))},       // AT_REALM too long
  };
  for (const Case& c : cases) {
    EXPECT_EQ(error_of(raw_packet(c.code, c.op, c.attributes)), DecodeError::BadAttributeLength)
        << to_hex(c.attributes);
  }
}

TEST(Codec, MissingRequiredAttributeIsInvalid) {
  Packet p = challenge();
  p.nonce_s.reset();
  Bytes attributes = tlv(1, n16(0xa0));
  for (const Bytes& more : {tlv(2, from_hex("00000007")), tlv(3, Bytes{'v'})}) {
    attributes.insert(attributes.end(), more.begin(), more.end());
  }
  EXPECT_EQ(error_of(raw_packet(1, 1, attributes)), DecodeError::MissingAttribute);
  // Confirm-Ack without AT_MAC.
  EXPECT_EQ(error_of(raw_packet(2, 4, {})), DecodeError::MissingAttribute);
  // Error without AT_ERROR_CODE.
  EXPECT_EQ(error_of(raw_packet(2, 15, {})), DecodeError::MissingAttribute);
  // HOST_CHALLENGE without MN_AUTH.
  Bytes half = tlv(5, n16(0x70));
  for (const Bytes& more : {tlv(7, n16(0xc0)), tlv(6, n16(0))}) half.insert(half.end(), more.begin(), more.end());
  EXPECT_EQ(error_of(raw_packet(2, 2, half)), DecodeError::MissingAttribute);
}

TEST(Codec, AttributeTheOpDoesNotCarryIsInvalid) {
  Bytes attributes = challenge_attributes();
  const Bytes extra = tlv(9, n32(0));
  attributes.insert(attributes.end(), extra.begin(), extra.end());
  EXPECT_EQ(error_of(raw_packet(1, 1, attributes)), DecodeError::UnexpectedAttribute);
  // AT_MAC in a Challenge (no K_AUT exists yet).
  Bytes with_mac = challenge_attributes();
  const Bytes mac = tlv(6, n16(0));
  with_mac.insert(with_mac.end(), mac.begin(), mac.end());
  EXPECT_EQ(error_of(raw_packet(1, 1, with_mac)), DecodeError::UnexpectedAttribute);
}

TEST(Codec, TruncatedPacketsAreInvalid) {
  EXPECT_EQ(error_of({}), DecodeError::Truncated);
  EXPECT_EQ(error_of(from_hex("010100")), DecodeError::Truncated);
  EXPECT_EQ(error_of(from_hex("01010004")), DecodeError::Truncated);
  EXPECT_EQ(error_of(from_hex("0101000afe007ed90000")), DecodeError::Truncated);
  // An attribute header cut short, EAP Length consistent.
  Bytes attributes = challenge_attributes();
  attributes.push_back(0x00);
  attributes.push_back(0x05);
  EXPECT_EQ(error_of(raw_packet(1, 1, attributes)), DecodeError::Truncated);
  // An attribute value running past the end, EAP Length consistent.
  Bytes overrun = challenge_attributes();
  const Bytes cut = from_hex("00090020aabb");
  overrun.insert(overrun.end(), cut.begin(), cut.end());
  EXPECT_EQ(error_of(raw_packet(1, 1, overrun)), DecodeError::Truncated);
}

TEST(Codec, EveryPrefixOfAValidPacketIsRejected) {
  const Bytes bytes = encode(challenge_response(), kKaut);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode(ByteView(bytes).first(n))) << n;
  }
}

TEST(Codec, LengthFieldMustMatchTheBuffer) {
  Bytes bytes = encode(challenge());
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(error_of(longer), DecodeError::LengthMismatch);
  Bytes shorter = bytes;
  shorter.pop_back();
  EXPECT_EQ(error_of(shorter), DecodeError::LengthMismatch);
  bytes[3] = static_cast<std::uint8_t>(bytes[3] + 1);
  EXPECT_EQ(error_of(bytes), DecodeError::LengthMismatch);
}

TEST(Codec, ForeignTypesAndOps) {
  EXPECT_EQ(error_of(from_hex("0201000604aa")), DecodeError::UnsupportedType);  // EAP-MD5
  EXPECT_EQ(error_of(from_hex("0201000e"
                              "fe007eda00000001"
                              "0100")),
            DecodeError::UnsupportedType);  // vendor
  EXPECT_EQ(error_of(from_hex("0201000e"
                              "fe007ed900000002"
                              "0100")),
            DecodeError::UnsupportedType);  // vendor type
  EXPECT_EQ(error_of(raw_packet(1, 9, {})), DecodeError::UnknownOp);
  EXPECT_EQ(error_of(raw_packet(1, 0, {})), DecodeError::UnknownOp);
  EXPECT_EQ(error_of(from_hex("03040004")), DecodeError::NotRequestOrResponse);
  EXPECT_EQ(error_of(from_hex("0901000e"
                              "fe007ed900000001"
                              "0100")),
            DecodeError::NotRequestOrResponse);
  EXPECT_EQ(error_code_for(DecodeError::UnsupportedType), ErrorCode::Unsupported);
  EXPECT_EQ(error_code_for(DecodeError::UnknownOp), ErrorCode::Unsupported);
  EXPECT_EQ(error_code_for(DecodeError::DuplicateAttribute), ErrorCode::Malformed);
}

TEST(Codec, OpsOnlyTravelInTheirDirection) {
  EXPECT_EQ(error_of(raw_packet(2, 1, challenge_attributes())), DecodeError::WrongDirection);
  EXPECT_EQ(error_of(raw_packet(1, 4, tlv(6, n16(0)))), DecodeError::WrongDirection);
  EXPECT_TRUE(decode(raw_packet(1, 15, tlv(13, from_hex("0007")))));
  EXPECT_TRUE(decode(raw_packet(2, 15, tlv(13, from_hex("0001")))));
}

TEST(Codec, HostileMutationsNeverThrow) {
  // Deterministic mutations of valid packets: every result is a clean
  // success or a typed error (run under ASan to check the bounds).
  const std::vector<Bytes> seeds{encode(challenge()), encode(challenge_response(), kKaut)};
  std::uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1103515245u + 12345u;
    return state >> 16;
  };
  for (const Bytes& seed : seeds) {
    for (int i = 0; i < 5000; ++i) {
      Bytes mutated = seed;
      const int edits = 1 + static_cast<int>(next() % 4);
      for (int e = 0; e < edits; ++e) mutated[next() % mutated.size()] = static_cast<std::uint8_t>(next());
      if (next() % 3 == 0) mutated.resize(next() % (mutated.size() + 8));
      EXPECT_NO_THROW({
        const DecodeResult r = decode(mutated);
        if (r) (void)verify_mac(mutated, *r.packet, kKaut);
      });
    }
  }
}

TEST(Codec, EncodeRejectsPacketsOutsideTheOpTable) {
  Packet missing = challenge();
  missing.nonce_s.reset();
  EXPECT_THROW(encode(missing), std::invalid_argument);

  Packet extra = challenge();
  extra.home_auth = n32(0);
  EXPECT_THROW(encode(extra), std::invalid_argument);

  Packet wrong_length = challenge();
  wrong_length.rand = Bytes(15, 0);
  EXPECT_THROW(encode(wrong_length), std::invalid_argument);

  Packet wrong_direction = challenge();
  wrong_direction.code = EapCode::Response;
  EXPECT_THROW(encode(wrong_direction), std::invalid_argument);

  EXPECT_THROW(encode(challenge_response()), std::invalid_argument);  // AT_MAC required, no K_AUT

  Packet both = challenge_response();
  both.mac = n16(0);
  EXPECT_THROW(encode(both, kKaut), std::invalid_argument);

  Packet half = challenge_response();
  half.mn_auth.reset();
  EXPECT_THROW(encode(half, kKaut), std::invalid_argument);

  Packet forged = challenge_response();
  forged.mac = n16(0x99);  // emitted as given, without K_AUT
  const Bytes bytes = encode(forged);
  EXPECT_EQ(to_hex(ByteView(bytes).last(16)), to_hex(n16(0x99)));
}

TEST(Codec, Names) {
  EXPECT_EQ(op_name(Op::UpdateConfirm), "Update-Confirm");
  EXPECT_EQ(error_code_name(ErrorCode::StaleGeneration), "STALE_GENERATION");
  EXPECT_EQ(error_code_name(static_cast<ErrorCode>(99)), "unknown error code");
  EXPECT_EQ(decode_error_name(DecodeError::DuplicateAttribute), "duplicate attribute");
}

}  // namespace
}  // namespace roamkey::eaptsk
