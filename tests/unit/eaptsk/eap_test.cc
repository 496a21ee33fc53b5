#include <gtest/gtest.h>

#include "crypto/bytes.h"
#include "eaptsk/eap.h"

namespace roamkey::eaptsk {
namespace {

using crypto::from_hex;
using crypto::to_hex;

TEST(Eap, BuildsIdentitySuccessFailureAndNak) {
  EXPECT_EQ(to_hex(build_identity_request(0)), "0100000501");
  EXPECT_EQ(to_hex(build_identity_response(0, "a@b")), "0200000801" + to_hex(crypto::as_bytes("a@b")));
  EXPECT_EQ(to_hex(build_success(4)), "03040004");
  EXPECT_EQ(to_hex(build_failure(9)), "04090004");
  EXPECT_EQ(to_hex(build_nak_response(2)),
            "02020006"
            "03"
            "fe");
}

TEST(Eap, ParsesHeaders) {
  const auto request = parse_eap_header(from_hex("0107000501"));
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->code, EapCode::Request);
  EXPECT_EQ(request->identifier, 7);
  EXPECT_EQ(request->length, 5);
  EXPECT_EQ(request->type, kEapTypeIdentity);

  const auto success = parse_eap_header(from_hex("03040004"));
  ASSERT_TRUE(success.has_value());
  EXPECT_EQ(success->code, EapCode::Success);
  EXPECT_FALSE(success->type.has_value());
}

TEST(Eap, RejectsBadHeaders) {
  EXPECT_FALSE(parse_eap_header(from_hex("")).has_value());
  EXPECT_FALSE(parse_eap_header(from_hex("010000")).has_value());        // shorter than a header
  EXPECT_FALSE(parse_eap_header(from_hex("0500000501")).has_value());    // unknown code
  EXPECT_FALSE(parse_eap_header(from_hex("0000000501")).has_value());    // code 0
  EXPECT_FALSE(parse_eap_header(from_hex("0100000601")).has_value());    // length beyond buffer
  EXPECT_FALSE(parse_eap_header(from_hex("010000050100")).has_value());  // bytes beyond length
  EXPECT_FALSE(parse_eap_header(from_hex("01000004")).has_value());      // request without type
  EXPECT_FALSE(parse_eap_header(from_hex("0300000500")).has_value());    // success with data
}

TEST(Eap, ParsesIdentityResponseExactly) {
  const auto identity = parse_identity_response(build_identity_response(3, "Alice@Home.Example"));
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(*identity, "Alice@Home.Example");  // exact bytes, no case folding
  EXPECT_EQ(parse_identity_response(build_identity_response(0, "")), std::optional<std::string>(""));
  EXPECT_FALSE(parse_identity_response(build_identity_request(0)).has_value());
  EXPECT_FALSE(parse_identity_response(build_nak_response(0)).has_value());
  EXPECT_FALSE(parse_identity_response(from_hex("02000009016140")).has_value());  // length mismatch
}

TEST(Eap, OverlongIdentityThrows) {
  EXPECT_THROW(build_identity_response(0, std::string(70000, 'a')), std::invalid_argument);
}

}  // namespace
}  // namespace roamkey::eaptsk
