// to_cache_vector: a received TSK-Vector (DLA, KPR) into the cache's form,
// unwrapping a Wrapped-TSK-Key with the KEK named by Key-Wrap-Key-Id
// (protocol.md sec. 2, sec. 3).

#include "vector_import.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/key_wrap.h"
#include "crypto/secret.h"
#include "test_vectors.h"
#include "tsk_cache.h"

namespace roamkey::visited {
namespace {

using namespace std::chrono_literals;
using crypto::Bytes;
using crypto::ByteView;
using crypto::SecretBytes;

SecretBytes filled(std::uint8_t value, std::size_t n = 32) {
  return SecretBytes(ByteView(Bytes(n, value)));
}

const Bytes kRand = crypto::from_hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
const SecretBytes kTsk = filled(0x5A);
const SecretBytes kKekA = filled(0x11);
const SecretBytes kKekB = filled(0x22);

KekRing ring() {
  return KekRing({HomeRealmConfig{"home.example", {Kek{"2026-a", kKekA}, Kek{"2026-b", kKekB}}}});
}

apps::TskVector clear_vector() {
  apps::TskVector w;
  w.rand = kRand;
  w.generation = 7;
  w.lifetime = 3600;
  w.max_uses = 5;
  w.tsk = kTsk;
  return w;
}

apps::TskVector wrapped_vector(const SecretBytes& kek, std::string id) {
  apps::TskVector w = clear_vector();
  w.tsk = SecretBytes();
  w.wrapped_tsk = crypto::aes_key_wrap(kek, kTsk);
  w.key_wrap_key_id = std::move(id);
  return w;
}

Bytes bytes_of(const Rand& r) {
  return Bytes(r.begin(), r.end());
}

TEST(ToCacheVector, CopiesAClearTsk) {
  std::string failure;
  const auto v = to_cache_vector(clear_vector(), "home.example", ring(), failure);
  ASSERT_TRUE(v.has_value()) << failure;
  EXPECT_TRUE(failure.empty());
  EXPECT_EQ(crypto::to_hex(v->tsk), crypto::to_hex(kTsk));
  EXPECT_EQ(bytes_of(v->rand), kRand);
  EXPECT_EQ(v->generation, 7U);
  EXPECT_EQ(v->lifetime, 3600s);
  EXPECT_EQ(v->max_uses, std::optional<std::uint32_t>(5));
  EXPECT_EQ(v->home_realm, "home.example");
}

// A clear TSK needs no KEK, so a realm without any is fine.
TEST(ToCacheVector, ClearTskNeedsNoKek) {
  std::string failure;
  const auto v = to_cache_vector(clear_vector(), "elsewhere.example", KekRing(), failure);
  ASSERT_TRUE(v.has_value()) << failure;
  EXPECT_EQ(v->home_realm, "elsewhere.example");
}

TEST(ToCacheVector, AbsentMaxUsesStaysAbsent) {
  auto w = clear_vector();
  w.max_uses.reset();
  w.lifetime = 1;
  w.generation = 0xFFFFFFFFU;
  std::string failure;
  const auto v = to_cache_vector(std::move(w), "home.example", ring(), failure);
  ASSERT_TRUE(v.has_value()) << failure;
  EXPECT_FALSE(v->max_uses.has_value());
  EXPECT_EQ(v->lifetime, 1s);
  EXPECT_EQ(v->generation, 0xFFFFFFFFU);
}

TEST(ToCacheVector, UnwrapsAWrappedTskWithEitherKekOfTheRealm) {
  for (const auto& [kek, id] : {std::pair{kKekA, "2026-a"}, std::pair{kKekB, "2026-b"}}) {
    std::string failure;
    const auto v = to_cache_vector(wrapped_vector(kek, id), "home.example", ring(), failure);
    ASSERT_TRUE(v.has_value()) << id << ": " << failure;
    EXPECT_EQ(crypto::to_hex(v->tsk), crypto::to_hex(kTsk)) << id;
    EXPECT_EQ(bytes_of(v->rand), kRand);
    EXPECT_EQ(v->generation, 7U);
    EXPECT_EQ(v->lifetime, 3600s);
    EXPECT_EQ(v->max_uses, std::optional<std::uint32_t>(5));
    EXPECT_EQ(v->home_realm, "home.example");
  }
}

TEST(ToCacheVector, RealmCaseDoesNotMatterForTheKek) {
  std::string failure;
  const auto v = to_cache_vector(wrapped_vector(kKekA, "2026-a"), "Home.EXAMPLE", ring(), failure);
  ASSERT_TRUE(v.has_value()) << failure;
  EXPECT_EQ(crypto::to_hex(v->tsk), crypto::to_hex(kTsk));
}

TEST(ToCacheVector, UnknownKekIdFailsNamingTheId) {
  std::string failure;
  const auto v = to_cache_vector(wrapped_vector(kKekA, "2025-old"), "home.example", ring(), failure);
  EXPECT_FALSE(v.has_value());
  EXPECT_NE(failure.find("2025-old"), std::string::npos) << failure;
}

TEST(ToCacheVector, MissingKekIdFails) {
  std::string failure;
  EXPECT_FALSE(to_cache_vector(wrapped_vector(kKekA, ""), "home.example", ring(), failure).has_value());
  EXPECT_FALSE(failure.empty());
}

TEST(ToCacheVector, KekOfAnotherRealmFails) {
  std::string failure;
  const auto v = to_cache_vector(wrapped_vector(kKekA, "2026-a"), "other.example", ring(), failure);
  EXPECT_FALSE(v.has_value());
  EXPECT_NE(failure.find("2026-a"), std::string::npos) << failure;
  EXPECT_NE(failure.find("other.example"), std::string::npos) << failure;
}

TEST(ToCacheVector, TamperedWrappedTskFailsWithoutLeakingKeys) {
  auto w = wrapped_vector(kKekA, "2026-a");
  (*w.wrapped_tsk)[20] ^= 0x04;
  std::string failure;
  const auto v = to_cache_vector(std::move(w), "home.example", ring(), failure);
  EXPECT_FALSE(v.has_value());
  EXPECT_NE(failure.find("2026-a"), std::string::npos) << failure;
  EXPECT_EQ(failure.find(crypto::to_hex(kTsk)), std::string::npos);
  EXPECT_EQ(failure.find(crypto::to_hex(kKekA)), std::string::npos);
}

TEST(ToCacheVector, WrongKekUnderTheRightIdFails) {
  std::string failure;
  EXPECT_FALSE(to_cache_vector(wrapped_vector(kKekB, "2026-a"), "home.example", ring(), failure).has_value());
  EXPECT_NE(failure.find("2026-a"), std::string::npos) << failure;
}

// TSK-RAND is 16 bytes (sec. 3). Any other length must be refused, not
// truncated or zero-padded into a RAND the mobile never derived its TSK from.
TEST(ToCacheVector, RandOfTheWrongLengthFails) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{15}, std::size_t{17}}) {
    auto w = clear_vector();
    w.rand.assign(n, 0xA0);
    std::string failure;
    EXPECT_FALSE(to_cache_vector(std::move(w), "home.example", ring(), failure).has_value()) << n;
    EXPECT_NE(failure.find("TSK-RAND"), std::string::npos) << failure;
  }
}

// What comes out is what the cache takes: imported and stored, it leases the
// unwrapped TSK to an authentication.
TEST(ToCacheVector, ResultIsStoredByTheCache) {
  std::string failure;
  const auto v = to_cache_vector(wrapped_vector(kKekB, "2026-b"), "home.example", ring(), failure);
  ASSERT_TRUE(v.has_value()) << failure;
  TskCache::Options o;
  o.max_entries = 10;
  o.shards = 1;
  TskCache cache(o);
  const auto now = Clock::time_point{} + 1000h;
  ASSERT_EQ(cache.store("alice@home.example", *v, now), StoreResult::kStored);
  const auto lease = cache.acquire("alice@home.example", now);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(crypto::to_hex(lease->tsk), crypto::to_hex(kTsk));
  EXPECT_EQ(lease->generation, 7U);
  EXPECT_EQ(lease->home_realm, "home.example");
  EXPECT_EQ(lease->max_uses, std::optional<std::uint32_t>(5));
}

// The spec's wire example: WRAPPED_TSK under KEK is TSK (test-vectors.json).
class ToCacheVectorSpec : public testing::SpecVectors {};

TEST_F(ToCacheVectorSpec, SpecWrappedTskIsUnwrapped) {
  const KekRing keks({HomeRealmConfig{"home.example", {Kek{"spec-kek", SecretBytes(ByteView(input("KEK")))}}}});
  apps::TskVector w;
  w.rand = input("RAND");
  w.generation = input_u32("key_generation");
  w.lifetime = 600;
  w.wrapped_tsk = output("WRAPPED_TSK");
  w.key_wrap_key_id = "spec-kek";
  std::string failure;
  const auto v = to_cache_vector(std::move(w), "home.example", keks, failure);
  ASSERT_TRUE(v.has_value()) << failure;
  EXPECT_EQ(crypto::to_hex(v->tsk), crypto::to_hex(output("TSK")));
  EXPECT_EQ(bytes_of(v->rand), input("RAND"));
  EXPECT_EQ(v->generation, input_u32("key_generation"));
  EXPECT_EQ(v->lifetime, 600s);
  EXPECT_FALSE(v->max_uses.has_value());
}

}  // namespace
}  // namespace roamkey::visited
