#include <gtest/gtest.h>

#include <stdexcept>

#include "crypto/aead.h"
#include "crypto/bytes.h"
#include "crypto/random.h"

namespace roamkey::crypto {
namespace {

// A fixed nonce makes the sealed bytes reproducible.
class CountingRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_ = 0;
};

const Bytes kKey = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kPlain = from_hex("6fa530dc3d2c08934d613d9ba1a0769675850137a02d194176d7681fcdd361a2");
const ByteView kAad = as_bytes("alice@home.example");

TEST(Aead, RoundTrip) {
  SystemRandom random;
  const Bytes sealed = aead_seal(kKey, kPlain, kAad, random);
  ASSERT_EQ(sealed.size(), kAeadNonceSize + kPlain.size() + kAeadTagSize);
  const auto opened = aead_open(kKey, sealed, kAad);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(to_hex(*opened), to_hex(kPlain));
}

TEST(Aead, UsesNonceFromRandomSourceAndLaysOutNonceCiphertextTag) {
  CountingRandom random;
  const Bytes sealed = aead_seal(kKey, kPlain, kAad, random);
  EXPECT_EQ(to_hex(ByteView(sealed).first(kAeadNonceSize)), "000102030405060708090a0b");
  EXPECT_NE(to_hex(ByteView(sealed).subspan(kAeadNonceSize, kPlain.size())), to_hex(kPlain));
}

TEST(Aead, FreshNonceEachSeal) {
  SystemRandom random;
  EXPECT_NE(aead_seal(kKey, kPlain, kAad, random), aead_seal(kKey, kPlain, kAad, random));
}

TEST(Aead, EmptyPlaintextAndAad) {
  SystemRandom random;
  const Bytes sealed = aead_seal(kKey, Bytes{}, Bytes{}, random);
  EXPECT_EQ(sealed.size(), kAeadNonceSize + kAeadTagSize);
  const auto opened = aead_open(kKey, sealed, Bytes{});
  ASSERT_TRUE(opened.has_value());
  EXPECT_TRUE(opened->empty());
  EXPECT_FALSE(aead_open(kKey, sealed, kAad).has_value());
}

TEST(Aead, WrongAadFails) {
  SystemRandom random;
  const Bytes sealed = aead_seal(kKey, kPlain, kAad, random);
  EXPECT_FALSE(aead_open(kKey, sealed, as_bytes("bob@home.example")).has_value());
  EXPECT_FALSE(aead_open(kKey, sealed, Bytes{}).has_value());
}

TEST(Aead, WrongKeyFails) {
  SystemRandom random;
  const Bytes sealed = aead_seal(kKey, kPlain, kAad, random);
  Bytes other = kKey;
  other[0] ^= 1;
  EXPECT_FALSE(aead_open(other, sealed, kAad).has_value());
}

TEST(Aead, TamperingAnywhereFails) {
  SystemRandom random;
  const Bytes sealed = aead_seal(kKey, kPlain, kAad, random);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(aead_open(kKey, tampered, kAad).has_value()) << "byte " << i;
  }
}

TEST(Aead, TruncatedInputFails) {
  SystemRandom random;
  const Bytes sealed = aead_seal(kKey, kPlain, kAad, random);
  EXPECT_FALSE(aead_open(kKey, ByteView(sealed).first(sealed.size() - 1), kAad).has_value());
  EXPECT_FALSE(aead_open(kKey, ByteView(sealed).first(kAeadNonceSize + kAeadTagSize - 1), kAad).has_value());
  EXPECT_FALSE(aead_open(kKey, Bytes{}, kAad).has_value());
}

TEST(Aead, BadKeySizeThrows) {
  SystemRandom random;
  EXPECT_THROW(aead_seal(Bytes(16, 0), kPlain, kAad, random), std::invalid_argument);
  EXPECT_THROW(aead_open(Bytes(31, 0), Bytes(40, 0), kAad), std::invalid_argument);
}

TEST(Random, SystemRandomFillsAndRandomBytesSizes) {
  SystemRandom random;
  const Bytes a = random_bytes(random, 32);
  const Bytes b = random_bytes(random, 32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(random_bytes(random, 0).empty());
}

}  // namespace
}  // namespace roamkey::crypto
