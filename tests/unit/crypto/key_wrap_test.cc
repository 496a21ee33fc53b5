#include <gtest/gtest.h>

#include <stdexcept>

#include "crypto/bytes.h"
#include "crypto/key_wrap.h"

namespace roamkey::crypto {
namespace {

const Bytes kKek = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kKey = from_hex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f");
const char* const kWrapped = "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21";

TEST(KeyWrap, Rfc3394Section4_6) {
  EXPECT_EQ(to_hex(aes_key_wrap(kKek, kKey)), kWrapped);
  const auto key = aes_key_unwrap(kKek, from_hex(kWrapped));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(to_hex(*key), to_hex(kKey));
}

TEST(KeyWrap, WrongKekFailsIntegrityCheck) {
  Bytes other = kKek;
  other[31] ^= 0x01;
  EXPECT_FALSE(aes_key_unwrap(other, from_hex(kWrapped)).has_value());
}

TEST(KeyWrap, TamperedWrappedKeyFailsIntegrityCheck) {
  for (std::size_t i = 0; i < 40; i += 7) {
    Bytes tampered = from_hex(kWrapped);
    tampered[i] ^= 0x80;
    EXPECT_FALSE(aes_key_unwrap(kKek, tampered).has_value()) << "byte " << i;
  }
}

TEST(KeyWrap, ImpossibleWrappedSizesAreRejectedNotThrown) {
  EXPECT_FALSE(aes_key_unwrap(kKek, Bytes{}).has_value());
  EXPECT_FALSE(aes_key_unwrap(kKek, Bytes(16, 0)).has_value());
  EXPECT_FALSE(aes_key_unwrap(kKek, Bytes(41, 0)).has_value());
  Bytes truncated = from_hex(kWrapped);
  truncated.resize(32);
  EXPECT_FALSE(aes_key_unwrap(kKek, truncated).has_value());
}

TEST(KeyWrap, BadArgumentsThrow) {
  EXPECT_THROW(aes_key_wrap(Bytes(16, 0), kKey), std::invalid_argument);
  EXPECT_THROW(aes_key_wrap(kKek, Bytes(8, 0)), std::invalid_argument);
  EXPECT_THROW(aes_key_wrap(kKek, Bytes(20, 0)), std::invalid_argument);
  EXPECT_THROW(aes_key_unwrap(Bytes(24, 0), from_hex(kWrapped)), std::invalid_argument);
}

}  // namespace
}  // namespace roamkey::crypto
