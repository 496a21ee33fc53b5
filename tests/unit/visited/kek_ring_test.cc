// KekRing: opening a Wrapped-TSK-Key with the KEK its Key-Wrap-Key-Id names
// among those configured for the sending realm (protocol.md sec. 2, sec. 3).

#include "kek_ring.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/key_wrap.h"
#include "crypto/secret.h"
#include "test_vectors.h"

namespace roamkey::visited {
namespace {

using crypto::Bytes;
using crypto::ByteView;
using crypto::SecretBytes;

SecretBytes filled(std::uint8_t value, std::size_t n = 32) {
  return SecretBytes(ByteView(Bytes(n, value)));
}

Kek kek(std::string id, std::uint8_t fill) {
  return Kek{std::move(id), filled(fill)};
}

HomeRealmConfig realm(std::string name, std::vector<Kek> keks) {
  return HomeRealmConfig{std::move(name), std::move(keks)};
}

const SecretBytes kTsk = filled(0x5A);

TEST(KekRing, UnwrapsWithTheNamedKek) {
  const KekRing ring({realm("home.example", {kek("2026-a", 0x11)})});
  const Bytes wrapped = crypto::aes_key_wrap(filled(0x11), kTsk);
  const auto r = ring.unwrap("home.example", "2026-a", wrapped);
  ASSERT_TRUE(r.tsk.has_value()) << r.failure;
  EXPECT_EQ(crypto::to_hex(*r.tsk), crypto::to_hex(kTsk));
  EXPECT_TRUE(r.failure.empty());
}

TEST(KekRing, CountsEveryKekOfEveryRealm) {
  EXPECT_EQ(KekRing().size(), 0U);
  const KekRing ring({realm("home.example", {kek("a", 1), kek("b", 2)}), realm("other.example", {kek("a", 3)}),
                      realm("bare.example", {})});
  EXPECT_EQ(ring.size(), 3U);
}

TEST(KekRing, EmptyRingUnwrapsNothing) {
  const KekRing ring;
  const auto r = ring.unwrap("home.example", "2026-a", crypto::aes_key_wrap(filled(0x11), kTsk));
  EXPECT_FALSE(r.tsk.has_value());
  EXPECT_NE(r.failure.find("2026-a"), std::string::npos) << r.failure;
}

// Two KEKs listed at once: the partner may switch to the new one at any time
// and TSKs wrapped under the old one still open during the roll-over.
TEST(KekRing, BothKeksOfARollOverWork) {
  const KekRing ring({realm("home.example", {kek("2026-a", 0x11), kek("2026-b", 0x22)})});
  const auto old_key = ring.unwrap("home.example", "2026-a", crypto::aes_key_wrap(filled(0x11), kTsk));
  const auto new_key = ring.unwrap("home.example", "2026-b", crypto::aes_key_wrap(filled(0x22), kTsk));
  ASSERT_TRUE(old_key.tsk.has_value()) << old_key.failure;
  ASSERT_TRUE(new_key.tsk.has_value()) << new_key.failure;
  EXPECT_EQ(crypto::to_hex(*old_key.tsk), crypto::to_hex(kTsk));
  EXPECT_EQ(crypto::to_hex(*new_key.tsk), crypto::to_hex(kTsk));
}

TEST(KekRing, TheIdSelectsTheKeyNotTrialDecryption) {
  const KekRing ring({realm("home.example", {kek("2026-a", 0x11), kek("2026-b", 0x22)})});
  // Wrapped under 2026-a but labelled 2026-b: must fail, not fall back.
  const auto r = ring.unwrap("home.example", "2026-b", crypto::aes_key_wrap(filled(0x11), kTsk));
  EXPECT_FALSE(r.tsk.has_value());
  EXPECT_NE(r.failure.find("2026-b"), std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find("does not unwrap"), std::string::npos) << r.failure;
}

TEST(KekRing, UnknownKekIdIsNamedInTheFailure) {
  const KekRing ring({realm("home.example", {kek("2026-a", 0x11)})});
  const auto r = ring.unwrap("home.example", "2027-z", crypto::aes_key_wrap(filled(0x11), kTsk));
  EXPECT_FALSE(r.tsk.has_value());
  EXPECT_NE(r.failure.find("\"2027-z\""), std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find("home.example"), std::string::npos) << r.failure;
}

TEST(KekRing, KekIdsAreCaseSensitive) {
  const KekRing ring({realm("home.example", {kek("Key-A", 0x11)})});
  EXPECT_FALSE(ring.unwrap("home.example", "key-a", crypto::aes_key_wrap(filled(0x11), kTsk)).tsk.has_value());
}

// A KEK belongs to one partner: another realm cannot use it, even with the
// right id, or one partner could push keys wrapped under another's KEK.
TEST(KekRing, KekOfAnotherRealmIsNotUsed) {
  const KekRing ring({realm("home.example", {kek("2026-a", 0x11)}), realm("other.example", {kek("2026-o", 0x33)})});
  const auto r = ring.unwrap("home.example", "2026-o", crypto::aes_key_wrap(filled(0x33), kTsk));
  EXPECT_FALSE(r.tsk.has_value());
  EXPECT_NE(r.failure.find("2026-o"), std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find("home.example"), std::string::npos) << r.failure;
  const auto unlisted = ring.unwrap("third.example", "2026-a", crypto::aes_key_wrap(filled(0x11), kTsk));
  EXPECT_FALSE(unlisted.tsk.has_value());
}

TEST(KekRing, SameIdInTwoRealmsNamesTwoKeys) {
  const KekRing ring({realm("home.example", {kek("k1", 0x11)}), realm("other.example", {kek("k1", 0x33)})});
  const Bytes under_home = crypto::aes_key_wrap(filled(0x11), kTsk);
  const Bytes under_other = crypto::aes_key_wrap(filled(0x33), kTsk);
  EXPECT_TRUE(ring.unwrap("home.example", "k1", under_home).tsk.has_value());
  EXPECT_TRUE(ring.unwrap("other.example", "k1", under_other).tsk.has_value());
  EXPECT_FALSE(ring.unwrap("home.example", "k1", under_other).tsk.has_value());
  EXPECT_FALSE(ring.unwrap("other.example", "k1", under_home).tsk.has_value());
}

// Realms compare case-insensitively (protocol.md sec. 1), on both sides.
TEST(KekRing, RealmsCompareCaseInsensitively) {
  const KekRing ring({realm("Home.Example", {kek("2026-a", 0x11)})});
  const Bytes wrapped = crypto::aes_key_wrap(filled(0x11), kTsk);
  for (const char* asked : {"home.example", "HOME.EXAMPLE", "hOmE.ExAmPlE"}) {
    const auto r = ring.unwrap(asked, "2026-a", wrapped);
    ASSERT_TRUE(r.tsk.has_value()) << asked << ": " << r.failure;
    EXPECT_EQ(crypto::to_hex(*r.tsk), crypto::to_hex(kTsk));
  }
}

TEST(KekRing, TamperedWrappedKeyFailsItsIntegrityCheck) {
  const KekRing ring({realm("home.example", {kek("2026-a", 0x11)})});
  const Bytes wrapped = crypto::aes_key_wrap(filled(0x11), kTsk);
  ASSERT_EQ(wrapped.size(), 40U);
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    Bytes bad = wrapped;
    bad[i] ^= 0x01;
    const auto r = ring.unwrap("home.example", "2026-a", bad);
    EXPECT_FALSE(r.tsk.has_value()) << "byte " << i;
    EXPECT_NE(r.failure.find("\"2026-a\""), std::string::npos) << r.failure;
  }
}

TEST(KekRing, WrongSizedWrappedKeyIsAFailureNotAnException) {
  const KekRing ring({realm("home.example", {kek("2026-a", 0x11)})});
  const Bytes wrapped = crypto::aes_key_wrap(filled(0x11), kTsk);
  for (const std::size_t n : {std::size_t{0}, std::size_t{8}, std::size_t{39}}) {
    const Bytes cut(wrapped.begin(), wrapped.begin() + static_cast<std::ptrdiff_t>(n));
    KekRing::Unwrapped r;
    EXPECT_NO_THROW(r = ring.unwrap("home.example", "2026-a", cut)) << n;
    EXPECT_FALSE(r.tsk.has_value()) << n;
    EXPECT_FALSE(r.failure.empty()) << n;
  }
}

TEST(KekRing, FailuresNeverCarryKeyMaterial) {
  const KekRing ring({realm("home.example", {kek("2026-a", 0x11)})});
  Bytes wrapped = crypto::aes_key_wrap(filled(0x11), kTsk);
  wrapped[3] ^= 0x80;
  for (const auto& r : {ring.unwrap("home.example", "2026-a", wrapped), ring.unwrap("home.example", "x", wrapped)}) {
    const std::string text = r.failure;
    EXPECT_EQ(text.find(crypto::to_hex(filled(0x11))), std::string::npos);
    EXPECT_EQ(text.find(crypto::to_hex(kTsk)), std::string::npos);
    EXPECT_EQ(text.find(crypto::to_hex(wrapped)), std::string::npos);
  }
}

// The wire contract: test-vectors.json WRAPPED_TSK is TSK wrapped under KEK.
class KekRingSpecVector : public testing::SpecVectors {};

TEST_F(KekRingSpecVector, UnwrapsTheSpecWrappedTsk) {
  const KekRing ring({realm("home.example", {Kek{"spec", SecretBytes(ByteView(input("KEK")))}})});
  const auto r = ring.unwrap("home.example", "spec", output("WRAPPED_TSK"));
  ASSERT_TRUE(r.tsk.has_value()) << r.failure;
  EXPECT_EQ(crypto::to_hex(*r.tsk), crypto::to_hex(output("TSK")));
}

TEST_F(KekRingSpecVector, SpecWrappedTskUnderAnotherKekFails) {
  const KekRing ring({realm("home.example", {Kek{"spec", filled(0x11)}})});
  EXPECT_FALSE(ring.unwrap("home.example", "spec", output("WRAPPED_TSK")).tsk.has_value());
}

TEST(KekRing, ReplaceSwapsTheWholeSet) {
  KekRing ring({realm("home.example", {kek("2026-a", 0x11)})});
  const Bytes old_wrapped = crypto::aes_key_wrap(filled(0x11), kTsk);
  const Bytes new_wrapped = crypto::aes_key_wrap(filled(0x22), kTsk);
  ASSERT_TRUE(ring.unwrap("home.example", "2026-a", old_wrapped).tsk);

  // A reload that rolls the KEK over: the new one opens, the retired one no longer does.
  ring.replace({realm("home.example", {kek("2026-b", 0x22)})});
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_TRUE(ring.unwrap("home.example", "2026-b", new_wrapped).tsk);
  const auto retired = ring.unwrap("home.example", "2026-a", old_wrapped);
  EXPECT_FALSE(retired.tsk);
  EXPECT_FALSE(retired.failure.empty());

  ring.replace({});
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_FALSE(ring.unwrap("home.example", "2026-b", new_wrapped).tsk);
}

}  // namespace
}  // namespace roamkey::visited
