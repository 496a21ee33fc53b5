#include <gtest/gtest.h>

#include <stdexcept>

#include "crypto/bytes.h"
#include "crypto/hkdf.h"

namespace roamkey::crypto {
namespace {

TEST(Hkdf, Rfc5869TestCase1) {
  const Bytes ikm(22, 0x0b);
  const SecretBytes okm =
      hkdf_sha256(from_hex("000102030405060708090a0b0c"), ikm, from_hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  EXPECT_EQ(to_hex(okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Hkdf, Rfc5869TestCase3EmptySaltAndInfo) {
  const Bytes ikm(22, 0x0b);
  const SecretBytes okm = hkdf_sha256(Bytes{}, ikm, Bytes{}, 42);
  EXPECT_EQ(to_hex(okm), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

// One context per thread is reused: nothing of one derivation (salt, info,
// key) may leak into the next. RFC 5869 cases 1 and 3 in turns, and case 1
// with its info but without its salt, which must equal a zero salt.
TEST(Hkdf, DerivationsInARowDoNotInheritEachOthersInputs) {
  const Bytes ikm(22, 0x0b);
  const auto salt = from_hex("000102030405060708090a0b0c");
  const auto info = from_hex("f0f1f2f3f4f5f6f7f8f9");
  const auto case1 = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
  const auto case3 = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(to_hex(hkdf_sha256(salt, ikm, info, 42)), case1);
    EXPECT_EQ(to_hex(hkdf_sha256(Bytes{}, ikm, Bytes{}, 42)), case3);
    EXPECT_EQ(to_hex(hkdf_sha256(Bytes{}, ikm, info, 42)), to_hex(hkdf_sha256(Bytes(32, 0), ikm, info, 42)));
    EXPECT_NE(to_hex(hkdf_sha256(Bytes{}, ikm, info, 42)), case1);
    EXPECT_NE(to_hex(hkdf_sha256(salt, Bytes(22, 0x0c), info, 42)), case1);
  }
}

TEST(Hkdf, RejectsBadArguments) {
  const Bytes ikm(22, 0x0b);
  EXPECT_THROW(hkdf_sha256(Bytes{}, Bytes{}, Bytes{}, 32), std::invalid_argument);
  EXPECT_THROW(hkdf_sha256(Bytes{}, ikm, Bytes{}, 0), std::invalid_argument);
  EXPECT_THROW(hkdf_sha256(Bytes{}, ikm, Bytes{}, 255 * 32 + 1), std::invalid_argument);
  EXPECT_EQ(hkdf_sha256(Bytes{}, ikm, Bytes{}, 255 * 32).size(), 255u * 32u);
}

}  // namespace
}  // namespace roamkey::crypto
