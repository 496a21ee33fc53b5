#include <gtest/gtest.h>

#include <stdexcept>
#include <type_traits>
#include <utility>

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace roamkey::crypto {
namespace {

TEST(SecretBytes, Construction) {
  EXPECT_TRUE(SecretBytes().empty());
  const SecretBytes zeros(4);
  EXPECT_EQ(to_hex(zeros), "00000000");
  const SecretBytes copy_of(from_hex("0a0b"));
  EXPECT_EQ(to_hex(copy_of.view()), "0a0b");
  EXPECT_EQ(to_hex(SecretBytes::from_hex("A1b2")), "a1b2");
  EXPECT_THROW(SecretBytes::from_hex("a1b"), std::invalid_argument);
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::from_hex("00112233");
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract says so
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(to_hex(b), "00112233");

  SecretBytes c = SecretBytes::from_hex("ff");
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(to_hex(c), "00112233");
}

TEST(SecretBytes, CopyIsDeepAndAssignmentReplaces) {
  SecretBytes a = SecretBytes::from_hex("0102");
  SecretBytes b(a);
  b.data()[0] = 0xff;
  EXPECT_EQ(to_hex(a), "0102");
  EXPECT_EQ(to_hex(b), "ff02");

  SecretBytes c = SecretBytes::from_hex("aabbccdd");
  c = a;
  EXPECT_EQ(to_hex(c), "0102");
  const SecretBytes& alias = c;
  c = alias;  // self-assignment keeps the value
  EXPECT_EQ(to_hex(c), "0102");
}

TEST(SecretBytes, ViewsShareTheBuffer) {
  SecretBytes s(2);
  s.data()[1] = 7;
  const ByteView implicit = s;
  EXPECT_EQ(implicit.data(), s.data());
  EXPECT_EQ(s.view()[1], 7);
}

template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};

TEST(SecretBytes, IsNotPrintable) {
  static_assert(!Streamable<SecretBytes>);
}

}  // namespace
}  // namespace roamkey::crypto
