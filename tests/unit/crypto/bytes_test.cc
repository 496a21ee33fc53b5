#include <gtest/gtest.h>

#include <stdexcept>

#include "crypto/bytes.h"
#include "crypto/hmac.h"

namespace roamkey::crypto {
namespace {

TEST(Hex, RoundTripsAndAcceptsUpperCase) {
  EXPECT_EQ(from_hex("00ff7Ea0"), (Bytes{0x00, 0xff, 0x7e, 0xa0}));
  EXPECT_EQ(to_hex(Bytes{0x00, 0xff, 0x7e, 0xa0}), "00ff7ea0");
  EXPECT_TRUE(from_hex("").empty());
  EXPECT_EQ(to_hex(Bytes{}), "");
}

TEST(Hex, BadInputThrows) {
  EXPECT_THROW(from_hex("abc"), std::invalid_argument);
  EXPECT_THROW(from_hex("zz"), std::invalid_argument);
  EXPECT_THROW(from_hex("0g"), std::invalid_argument);
  EXPECT_THROW(from_hex("00 11"), std::invalid_argument);
  EXPECT_THROW(from_hex("0x00"), std::invalid_argument);
}

TEST(Hex, ErrorMessageDoesNotEchoInput) {
  try {
    from_hex("00secret");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
  }
}

TEST(AsBytes, ViewsTheExactOctets) {
  const ByteView v = as_bytes("A@b");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], 'A');
  EXPECT_EQ(v[1], '@');
  EXPECT_EQ(v[2], 'b');
}

TEST(Hmac, Rfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, EmptyKeyThrows) {
  EXPECT_THROW(hmac_sha256(Bytes{}, as_bytes("x")), std::invalid_argument);
}

TEST(ConstantTimeEqual, ComparesContentAndSize) {
  EXPECT_TRUE(constant_time_equal(from_hex("0102"), from_hex("0102")));
  EXPECT_FALSE(constant_time_equal(from_hex("0102"), from_hex("0103")));
  EXPECT_FALSE(constant_time_equal(from_hex("0102"), from_hex("010200")));
  EXPECT_FALSE(constant_time_equal(from_hex("010200"), from_hex("0102")));
  EXPECT_FALSE(constant_time_equal(Bytes{}, from_hex("00")));
  EXPECT_TRUE(constant_time_equal(Bytes{}, Bytes{}));
}

}  // namespace
}  // namespace roamkey::crypto
