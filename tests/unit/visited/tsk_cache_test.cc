#include "tsk_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.h"

namespace roamkey::visited {
namespace {

using namespace std::chrono_literals;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

DelegatedVector vector_of(std::uint32_t generation, std::chrono::seconds lifetime = 3600s,
                          std::optional<std::uint32_t> max_uses = std::nullopt, std::string realm = "home.example") {
  DelegatedVector v;
  v.rand.fill(static_cast<std::uint8_t>(generation));
  v.generation = generation;
  const crypto::Bytes tsk(kTskSize, static_cast<std::uint8_t>(0xA0 + generation));
  v.tsk = crypto::SecretBytes(crypto::ByteView(tsk));
  v.lifetime = lifetime;
  v.max_uses = max_uses;
  v.home_realm = std::move(realm);
  return v;
}

TskCache::Options one_shard(std::size_t max_entries = 100) {
  TskCache::Options o;
  o.max_entries = max_entries;
  o.shards = 1;
  return o;
}

const std::string kNai = "alice@home.example";

TEST(TskCache, AcquireUnknownNaiIsEmpty) {
  TskCache cache({});
  EXPECT_FALSE(cache.acquire(kNai, t0));
  EXPECT_EQ(cache.size(), 0U);
}

TEST(TskCache, StoreThenAcquireHandsOutACopyAndCountsUses) {
  TskCache cache({});
  const auto v = vector_of(7, 60s, 5);
  ASSERT_EQ(cache.store(kNai, v, t0), StoreResult::kStored);
  EXPECT_EQ(cache.size(), 1U);

  const auto first = cache.acquire(kNai, t0 + 1s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->rand, v.rand);
  EXPECT_EQ(first->generation, 7U);
  EXPECT_EQ(crypto::to_hex(first->tsk), crypto::to_hex(v.tsk));
  EXPECT_EQ(first->expires, t0 + 60s);
  EXPECT_EQ(first->max_uses, 5U);
  EXPECT_EQ(first->use, 1U);
  EXPECT_EQ(first->home_realm, "home.example");

  const auto second = cache.acquire(kNai, t0 + 2s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->use, 2U);
  cache.erase(kNai);
  EXPECT_EQ(crypto::to_hex(first->tsk), crypto::to_hex(v.tsk)) << "a lease outlives its entry";
}

TEST(TskCache, HomeRealmIsKeptInLowerCase) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(1, 60s, std::nullopt, "Home.EXAMPLE"), t0), StoreResult::kStored);
  EXPECT_EQ(cache.acquire(kNai, t0)->home_realm, "home.example");
}

TEST(TskCache, ExpiresAfterItsLifetimeAndIsErased) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(1, 60s), t0), StoreResult::kStored);
  EXPECT_TRUE(cache.acquire(kNai, t0 + 59s));
  EXPECT_FALSE(cache.acquire(kNai, t0 + 60s));
  EXPECT_EQ(cache.size(), 0U);
}

TEST(TskCache, MaxUsesReachedYieldsNothingButKeepsTheGeneration) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(4, 60s, 2), t0), StoreResult::kStored);
  EXPECT_TRUE(cache.acquire(kNai, t0));
  EXPECT_TRUE(cache.acquire(kNai, t0));
  EXPECT_FALSE(cache.acquire(kNai, t0));
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_EQ(cache.store(kNai, vector_of(4, 60s, 2), t0), StoreResult::kStale);
  ASSERT_EQ(cache.store(kNai, vector_of(5, 60s, 2), t0), StoreResult::kStored);
  const auto fresh = cache.acquire(kNai, t0);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->generation, 5U);
  EXPECT_EQ(fresh->use, 1U) << "a new vector starts with no uses";
}

TEST(TskCache, WithoutMaxUsesUsesAreUnlimited) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(1), t0), StoreResult::kStored);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(cache.acquire(kNai, t0));
  const auto lease = cache.acquire(kNai, t0);
  EXPECT_FALSE(lease->max_uses);
  EXPECT_EQ(lease->use, 1001U);
}

TEST(TskCache, LowerOrEqualGenerationNeverReplaces) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(10), t0), StoreResult::kStored);
  EXPECT_EQ(cache.store(kNai, vector_of(9), t0), StoreResult::kStale);
  EXPECT_EQ(cache.store(kNai, vector_of(10), t0), StoreResult::kStale);
  EXPECT_EQ(cache.acquire(kNai, t0)->generation, 10U);
  EXPECT_EQ(cache.store(kNai, vector_of(11), t0), StoreResult::kStored);
  EXPECT_EQ(cache.acquire(kNai, t0)->generation, 11U);
  EXPECT_EQ(cache.size(), 1U);
}

TEST(TskCache, AnExpiredEntryCountsAsAbsentWhenStoring) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(10, 60s), t0), StoreResult::kStored);
  EXPECT_EQ(cache.store(kNai, vector_of(3, 60s, std::nullopt, "other.example"), t0 + 60s), StoreResult::kStored);
  EXPECT_EQ(cache.acquire(kNai, t0 + 61s)->generation, 3U);
  EXPECT_EQ(cache.size(), 1U);
}

TEST(TskCache, InvalidVectorsAreRefused) {
  TskCache cache({});
  auto short_tsk = vector_of(1);
  const crypto::Bytes b31(31, 1);
  short_tsk.tsk = crypto::SecretBytes(crypto::ByteView(b31));
  EXPECT_EQ(cache.store(kNai, short_tsk, t0), StoreResult::kInvalid);
  EXPECT_EQ(cache.store(kNai, vector_of(1, 0s), t0), StoreResult::kInvalid);
  EXPECT_EQ(cache.store(kNai, vector_of(1, -5s), t0), StoreResult::kInvalid);
  EXPECT_EQ(cache.store(kNai, vector_of(1, std::chrono::seconds(1LL << 33)), t0), StoreResult::kInvalid);
  EXPECT_EQ(cache.store(kNai, vector_of(1, 60s, 0), t0), StoreResult::kInvalid);
  EXPECT_EQ(cache.store(kNai, vector_of(1, 60s, std::nullopt, ""), t0), StoreResult::kInvalid);
  EXPECT_EQ(cache.size(), 0U);
}

TEST(TskCache, AnEntryBelongsToTheRealmThatStoredIt) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(1), t0), StoreResult::kStored);
  EXPECT_EQ(cache.store(kNai, vector_of(2, 60s, std::nullopt, "evil.example"), t0), StoreResult::kRealmMismatch);
  EXPECT_EQ(cache.store(kNai, vector_of(2, 60s, std::nullopt, "HOME.example"), t0), StoreResult::kStored);
}

TEST(TskCache, RealmPartOfTheNaiIsCaseInsensitiveUserPartIsNot) {
  TskCache cache({});
  ASSERT_EQ(cache.store("alice@HOME.Example", vector_of(1), t0), StoreResult::kStored);
  EXPECT_TRUE(cache.acquire("alice@home.example", t0));
  EXPECT_FALSE(cache.acquire("Alice@home.example", t0));
  EXPECT_FALSE(cache.acquire("alice@home.example.", t0));
  EXPECT_TRUE(cache.invalidate("alice@Home.Example", 1));
  EXPECT_EQ(cache.size(), 0U);
}

TEST(TskCache, NaiWithoutRealmIsMatchedExactly) {
  TskCache cache({});
  ASSERT_EQ(cache.store("alice", vector_of(1), t0), StoreResult::kStored);
  EXPECT_TRUE(cache.acquire("alice", t0));
  EXPECT_FALSE(cache.acquire("ALICE", t0));
}

TEST(TskCache, InvalidateAtOrBelowGeneration) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5), t0), StoreResult::kStored);
  EXPECT_FALSE(cache.invalidate(kNai, 4));
  EXPECT_TRUE(cache.acquire(kNai, t0));
  EXPECT_TRUE(cache.invalidate(kNai, 5));
  EXPECT_FALSE(cache.acquire(kNai, t0));
  EXPECT_FALSE(cache.invalidate(kNai, 5)) << "nothing left to invalidate";
}

TEST(TskCache, InvalidateHonoursTheHomeRealm) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5), t0), StoreResult::kStored);
  EXPECT_FALSE(cache.invalidate(kNai, UINT32_MAX, "evil.example"));
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_TRUE(cache.invalidate(kNai, UINT32_MAX, "Home.Example"));
  EXPECT_EQ(cache.size(), 0U);
}

TEST(TskCache, Erase) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(1), t0), StoreResult::kStored);
  EXPECT_TRUE(cache.erase(kNai));
  EXPECT_FALSE(cache.erase(kNai));
  EXPECT_FALSE(cache.acquire(kNai, t0));
  EXPECT_EQ(cache.size(), 0U);
}

TEST(TskCache, PendingNeedsACurrentVectorOfTheSameRealmAndANewerGeneration) {
  TskCache cache({});
  EXPECT_EQ(cache.set_pending(kNai, vector_of(2), t0), StoreResult::kNoDelegation);
  ASSERT_EQ(cache.store(kNai, vector_of(5, 60s), t0), StoreResult::kStored);
  EXPECT_EQ(cache.set_pending(kNai, vector_of(5), t0), StoreResult::kStale);
  EXPECT_EQ(cache.set_pending(kNai, vector_of(6, 60s, std::nullopt, "evil.example"), t0), StoreResult::kRealmMismatch);
  EXPECT_EQ(cache.set_pending(kNai, vector_of(6, 0s), t0), StoreResult::kInvalid);
  EXPECT_EQ(cache.set_pending(kNai, vector_of(7), t0), StoreResult::kStored);
  EXPECT_EQ(cache.set_pending(kNai, vector_of(6), t0), StoreResult::kStale) << "never older than the pending one";
  EXPECT_EQ(cache.set_pending(kNai, vector_of(8), t0), StoreResult::kStored) << "a newer push replaces it";
  EXPECT_EQ(cache.pending(kNai, t0)->generation, 8U);
  EXPECT_EQ(cache.set_pending(kNai, vector_of(9), t0 + 60s), StoreResult::kNoDelegation) << "current expired";
  EXPECT_EQ(cache.size(), 0U);
}

TEST(TskCache, PendingIsACopyBesideTheCurrentVector) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5), t0), StoreResult::kStored);
  EXPECT_FALSE(cache.pending(kNai, t0));
  ASSERT_EQ(cache.set_pending(kNai, vector_of(6, 60s, 3), t0), StoreResult::kStored);
  const auto next = cache.pending(kNai, t0);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->generation, 6U);
  EXPECT_EQ(next->use, 0U);
  EXPECT_EQ(crypto::to_hex(next->tsk), crypto::to_hex(vector_of(6).tsk));
  EXPECT_EQ(cache.acquire(kNai, t0)->generation, 5U) << "authentications still use the current vector";
  EXPECT_EQ(cache.size(), 1U);
}

TEST(TskCache, PromotePendingMakesItCurrentWithNoUses) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5), t0), StoreResult::kStored);
  ASSERT_TRUE(cache.acquire(kNai, t0));
  ASSERT_EQ(cache.set_pending(kNai, vector_of(6, 60s, 3), t0), StoreResult::kStored);
  EXPECT_FALSE(cache.promote_pending(kNai, 7, t0)) << "not the generation the update ran with";
  EXPECT_TRUE(cache.promote_pending(kNai, 6, t0 + 1s));
  EXPECT_FALSE(cache.pending(kNai, t0 + 1s));
  const auto lease = cache.acquire(kNai, t0 + 1s);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->generation, 6U);
  EXPECT_EQ(lease->use, 1U);
  EXPECT_EQ(lease->max_uses, 3U);
  EXPECT_EQ(lease->expires, t0 + 60s) << "the pending vector's lifetime ran from its push";
  EXPECT_FALSE(cache.promote_pending(kNai, 6, t0 + 1s));
}

TEST(TskCache, PromoteWorksEvenIfTheCurrentVectorExpiredMeanwhile) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5, 10s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.set_pending(kNai, vector_of(6, 60s), t0), StoreResult::kStored);
  EXPECT_TRUE(cache.promote_pending(kNai, 6, t0 + 20s));
  EXPECT_EQ(cache.acquire(kNai, t0 + 20s)->generation, 6U);
}

TEST(TskCache, ExpiredPendingIsNeitherShownNorPromoted) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5, 600s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.set_pending(kNai, vector_of(6, 10s), t0), StoreResult::kStored);
  EXPECT_FALSE(cache.promote_pending(kNai, 6, t0 + 10s));
  EXPECT_FALSE(cache.pending(kNai, t0 + 10s));
  EXPECT_EQ(cache.acquire(kNai, t0 + 10s)->generation, 5U);
}

TEST(TskCache, DropPending) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5), t0), StoreResult::kStored);
  ASSERT_EQ(cache.set_pending(kNai, vector_of(6), t0), StoreResult::kStored);
  EXPECT_FALSE(cache.drop_pending(kNai, 7));
  EXPECT_TRUE(cache.drop_pending(kNai, 6));
  EXPECT_FALSE(cache.drop_pending(kNai, 6));
  EXPECT_FALSE(cache.pending(kNai, t0));
  EXPECT_EQ(cache.acquire(kNai, t0)->generation, 5U);
  EXPECT_FALSE(cache.drop_pending("nobody@home.example", 6));
}

TEST(TskCache, StoringANewerCurrentDropsAnOlderPending) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5), t0), StoreResult::kStored);
  ASSERT_EQ(cache.set_pending(kNai, vector_of(7), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(kNai, vector_of(6), t0), StoreResult::kStored);
  EXPECT_EQ(cache.pending(kNai, t0)->generation, 7U) << "still newer than the current one";
  ASSERT_EQ(cache.store(kNai, vector_of(8), t0), StoreResult::kStored);
  EXPECT_FALSE(cache.pending(kNai, t0));
}

TEST(TskCache, InvalidatingTheCurrentVectorTakesThePendingOneWithIt) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(5), t0), StoreResult::kStored);
  ASSERT_EQ(cache.set_pending(kNai, vector_of(6), t0), StoreResult::kStored);
  EXPECT_TRUE(cache.invalidate(kNai, 5));
  EXPECT_FALSE(cache.pending(kNai, t0));
  EXPECT_EQ(cache.size(), 0U);
}

// ---- fetch coalescing ----

struct Recorder {
  std::vector<FetchResult> results;
  FetchCallback callback() {
    return [this](FetchResult r) { results.push_back(std::move(r)); };
  }
};

TEST(TskCacheFetch, UsableVectorIsLeasedAtOnceAndTheCallbackDropped) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(1), t0), StoreResult::kStored);
  Recorder rec;
  const auto got = cache.acquire_or_wait(kNai, t0, rec.callback());
  ASSERT_TRUE(got.lease);
  EXPECT_FALSE(got.must_fetch);
  EXPECT_EQ(got.lease->use, 1U);
  cache.fail_fetch(kNai, "nothing in flight");
  EXPECT_TRUE(rec.results.empty());
}

TEST(TskCacheFetch, ManyWaitersOneFetchEveryoneServed) {
  TskCache cache({});
  Recorder rec;
  int fetchers = 0;
  for (int i = 0; i < 5; ++i) {
    const auto got = cache.acquire_or_wait(kNai, t0, rec.callback());
    EXPECT_FALSE(got.lease);
    fetchers += got.must_fetch ? 1 : 0;
  }
  EXPECT_EQ(fetchers, 1);
  EXPECT_TRUE(rec.results.empty());
  EXPECT_EQ(cache.size(), 0U);

  const auto done = cache.complete_fetch(kNai, vector_of(3), t0 + 1s);
  EXPECT_EQ(done.store, StoreResult::kStored);
  EXPECT_FALSE(done.fetch_again);
  ASSERT_EQ(rec.results.size(), 5U);
  for (std::size_t i = 0; i < rec.results.size(); ++i) {
    ASSERT_TRUE(rec.results[i].lease);
    EXPECT_EQ(rec.results[i].lease->generation, 3U);
    EXPECT_EQ(rec.results[i].lease->use, i + 1) << "in arrival order, one use each";
    EXPECT_TRUE(rec.results[i].failure.empty());
  }
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_EQ(cache.acquire(kNai, t0 + 1s)->use, 6U);
}

TEST(TskCacheFetch, FailurePropagatesTheReasonToEveryWaiter) {
  TskCache cache({});
  Recorder rec;
  EXPECT_TRUE(cache.acquire_or_wait(kNai, t0, rec.callback()).must_fetch);
  EXPECT_FALSE(cache.acquire_or_wait(kNai, t0, rec.callback()).must_fetch);
  cache.fail_fetch(kNai, "DLA: Experimental-Result 5402 ROAMING_NOT_ALLOWED");
  ASSERT_EQ(rec.results.size(), 2U);
  for (const auto& r : rec.results) {
    EXPECT_FALSE(r.lease);
    EXPECT_EQ(r.failure, "DLA: Experimental-Result 5402 ROAMING_NOT_ALLOWED");
  }
  EXPECT_TRUE(cache.acquire_or_wait(kNai, t0, rec.callback()).must_fetch) << "the next attempt fetches afresh";
}

TEST(TskCacheFetch, MaxUsesSmallerThanTheWaitersAsksForAnotherFetch) {
  TskCache cache({});
  Recorder rec;
  for (int i = 0; i < 5; ++i) (void)cache.acquire_or_wait(kNai, t0, rec.callback());
  auto done = cache.complete_fetch(kNai, vector_of(3, 60s, 2), t0);
  EXPECT_TRUE(done.fetch_again);
  ASSERT_EQ(rec.results.size(), 2U);
  EXPECT_TRUE(rec.results[0].lease && rec.results[1].lease);

  Recorder late;
  const auto joined = cache.acquire_or_wait(kNai, t0, late.callback());
  EXPECT_FALSE(joined.lease);
  EXPECT_FALSE(joined.must_fetch) << "the follow-up fetch is already in flight";

  done = cache.complete_fetch(kNai, vector_of(4, 60s, 10), t0);
  EXPECT_FALSE(done.fetch_again);
  ASSERT_EQ(rec.results.size(), 5U);
  for (std::size_t i = 2; i < 5; ++i) EXPECT_EQ(rec.results[i].lease->generation, 4U);
  ASSERT_EQ(late.results.size(), 1U);
  EXPECT_EQ(late.results[0].lease->use, 4U);
}

TEST(TskCacheFetch, AnUnusableAnswerFailsTheWaitersWithTheStoreOutcome) {
  TskCache cache({});
  Recorder rec;
  (void)cache.acquire_or_wait(kNai, t0, rec.callback());
  const auto done = cache.complete_fetch(kNai, vector_of(3, 0s), t0);
  EXPECT_EQ(done.store, StoreResult::kInvalid);
  EXPECT_FALSE(done.fetch_again);
  ASSERT_EQ(rec.results.size(), 1U);
  EXPECT_FALSE(rec.results[0].lease);
  EXPECT_EQ(rec.results[0].failure, "the home's vector is invalid");
  EXPECT_EQ(cache.size(), 0U);
}

TEST(TskCacheFetch, AStaleAnswerServesWaitersFromAUsableHeldVector) {
  TskCache cache({});
  Recorder rec;
  ASSERT_TRUE(cache.acquire_or_wait(kNai, t0, rec.callback()).must_fetch);
  ASSERT_EQ(cache.store(kNai, vector_of(9, 60s, 5), t0), StoreResult::kStored);  // arrived by another path
  const auto done = cache.complete_fetch(kNai, vector_of(8), t0);
  EXPECT_EQ(done.store, StoreResult::kStale);
  EXPECT_FALSE(done.fetch_again);
  ASSERT_EQ(rec.results.size(), 1U);
  ASSERT_TRUE(rec.results[0].lease);
  EXPECT_EQ(rec.results[0].lease->generation, 9U);
}

TEST(TskCacheFetch, AStaleAnswerBesideAUsedUpVectorFailsTheWaiters) {
  TskCache cache({});
  ASSERT_EQ(cache.store(kNai, vector_of(9, 60s, 1), t0), StoreResult::kStored);
  ASSERT_TRUE(cache.acquire(kNai, t0));
  Recorder rec;
  ASSERT_TRUE(cache.acquire_or_wait(kNai, t0, rec.callback()).must_fetch);
  const auto done = cache.complete_fetch(kNai, vector_of(8), t0);
  EXPECT_EQ(done.store, StoreResult::kStale);
  EXPECT_FALSE(done.fetch_again);
  ASSERT_EQ(rec.results.size(), 1U);
  EXPECT_FALSE(rec.results[0].lease);
  EXPECT_EQ(rec.results[0].failure, "the home's vector is not newer than the cached one, which is not usable");
}

TEST(TskCacheFetch, LateAnswerWithoutWaitersIsStored) {
  TskCache cache({});
  const auto done = cache.complete_fetch(kNai, vector_of(2), t0);
  EXPECT_EQ(done.store, StoreResult::kStored);
  EXPECT_FALSE(done.fetch_again);
  EXPECT_EQ(cache.acquire(kNai, t0)->generation, 2U);
}

TEST(TskCacheFetch, ExpireFetchesFailsOnlyOldOnes) {
  TskCache::Options o;
  o.fetch_timeout = 10s;
  TskCache cache(o);
  Recorder old_rec, young_rec;
  (void)cache.acquire_or_wait("old@home.example", t0, old_rec.callback());
  (void)cache.acquire_or_wait("young@home.example", t0 + 5s, young_rec.callback());
  EXPECT_EQ(cache.expire_fetches(t0 + 9s), 0U);
  EXPECT_EQ(cache.expire_fetches(t0 + 10s), 1U);
  ASSERT_EQ(old_rec.results.size(), 1U);
  EXPECT_EQ(old_rec.results[0].failure, "no answer from the home domain in time");
  EXPECT_TRUE(young_rec.results.empty());
  EXPECT_TRUE(cache.acquire_or_wait("old@home.example", t0 + 10s, old_rec.callback()).must_fetch);
}

TEST(TskCacheFetch, CallbacksRunOutsideTheLockAndMayReenter) {
  TskCache cache(one_shard());
  std::vector<std::uint32_t> seen;
  bool nested_must_fetch = true;
  (void)cache.acquire_or_wait(kNai, t0, [&](FetchResult r) {
    seen.push_back(r.lease->use);
    const auto again = cache.acquire(kNai, t0);  // same shard: would deadlock under the lock
    seen.push_back(again->use);
    nested_must_fetch = cache.acquire_or_wait("other@home.example", t0, [](FetchResult) {}).must_fetch;
  });
  (void)cache.complete_fetch(kNai, vector_of(1), t0);
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_TRUE(nested_must_fetch);
}

TEST(TskCacheFetch, AThrowingCallbackDoesNotStarveTheOthers) {
  TskCache cache({});
  Recorder rec;
  (void)cache.acquire_or_wait(kNai, t0, [](FetchResult) { throw std::runtime_error("callback failed"); });
  (void)cache.acquire_or_wait(kNai, t0, rec.callback());
  EXPECT_THROW(cache.fail_fetch(kNai, "timeout"), std::runtime_error);
  ASSERT_EQ(rec.results.size(), 1U);
  EXPECT_EQ(rec.results[0].failure, "timeout");
}

TEST(TskCacheFetch, EmptyCallbackIsRefused) {
  TskCache cache({});
  EXPECT_THROW((void)cache.acquire_or_wait(kNai, t0, nullptr), std::invalid_argument);
}

// ---- bounds, sweep, options ----

std::string nai_of(int i) {
  return "user" + std::to_string(i) + "@home.example";
}

TEST(TskCacheBound, WhenFullExpiredEntriesGoFirst) {
  TskCache cache(one_shard(3));
  ASSERT_EQ(cache.store(nai_of(1), vector_of(1, 10s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(2), vector_of(1, 20s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(3), vector_of(1, 30s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(4), vector_of(1, 30s), t0 + 15s), StoreResult::kStored);
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_FALSE(cache.acquire(nai_of(1), t0 + 15s));
  EXPECT_TRUE(cache.acquire(nai_of(2), t0 + 15s));
  EXPECT_TRUE(cache.acquire(nai_of(3), t0 + 15s));
  EXPECT_TRUE(cache.acquire(nai_of(4), t0 + 15s));
}

TEST(TskCacheBound, WhenFullAndAllUsableTheEarliestExpiryGoes) {
  TskCache cache(one_shard(3));
  ASSERT_EQ(cache.store(nai_of(1), vector_of(1, 100s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(2), vector_of(1, 50s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(3), vector_of(1, 200s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(4), vector_of(1, 10s), t0), StoreResult::kStored);
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_FALSE(cache.acquire(nai_of(2), t0));
  EXPECT_TRUE(cache.acquire(nai_of(1), t0));
  EXPECT_TRUE(cache.acquire(nai_of(3), t0));
  EXPECT_TRUE(cache.acquire(nai_of(4), t0));
}

TEST(TskCacheBound, UsedUpEntriesGoBeforeUsableOnes) {
  TskCache cache(one_shard(2));
  ASSERT_EQ(cache.store(nai_of(1), vector_of(1, 500s, 1), t0), StoreResult::kStored);
  ASSERT_TRUE(cache.acquire(nai_of(1), t0));
  ASSERT_EQ(cache.store(nai_of(2), vector_of(1, 10s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(3), vector_of(1, 10s), t0), StoreResult::kStored);
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_TRUE(cache.acquire(nai_of(2), t0));
  EXPECT_TRUE(cache.acquire(nai_of(3), t0));
  EXPECT_EQ(cache.store(nai_of(1), vector_of(1, 500s), t0), StoreResult::kStored) << "its generation is gone";
}

TEST(TskCacheBound, ReplacingAnEntryEvictsNothing) {
  TskCache cache(one_shard(2));
  ASSERT_EQ(cache.store(nai_of(1), vector_of(1), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(2), vector_of(1), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(1), vector_of(2), t0), StoreResult::kStored);
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_TRUE(cache.acquire(nai_of(2), t0));
}

TEST(TskCacheBound, FillsToMaxEntriesBeforeEvictingHoweverUnevenTheShards) {
  TskCache::Options o;
  o.max_entries = 1000;
  TskCache cache(o);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(cache.store(nai_of(i), vector_of(1), t0), StoreResult::kStored);
  EXPECT_EQ(cache.size(), 1000U);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(cache.acquire(nai_of(i), t0)) << i;
}

TEST(TskCacheBound, StaysWithinBoundAcrossShards) {
  TskCache::Options o;
  o.max_entries = 256;
  o.shards = 16;
  TskCache cache(o);
  for (int i = 0; i < 2000; ++i)
    ASSERT_EQ(cache.store(nai_of(i), vector_of(1), t0 + std::chrono::seconds(i)), StoreResult::kStored);
  EXPECT_GE(cache.size(), 256U);
  EXPECT_LE(cache.size(), 256U + 16U) << "at most one extra per shard that was empty when the cache filled";
}

TEST(TskCache, SweepDropsExpiredEntriesAndPendingVectors) {
  TskCache cache({});
  ASSERT_EQ(cache.store(nai_of(1), vector_of(1, 10s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(2), vector_of(1, 20s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.store(nai_of(3), vector_of(1, 30s), t0), StoreResult::kStored);
  ASSERT_EQ(cache.set_pending(nai_of(3), vector_of(2, 15s), t0), StoreResult::kStored);
  EXPECT_EQ(cache.sweep(t0 + 9s), 0U);
  EXPECT_EQ(cache.sweep(t0 + 20s), 2U);
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_FALSE(cache.drop_pending(nai_of(3), 2)) << "the expired pending vector was swept";
  EXPECT_TRUE(cache.acquire(nai_of(3), t0 + 20s));
}

TEST(TskCache, OptionsAreValidated) {
  TskCache::Options o;
  o.shards = 3;
  EXPECT_THROW(TskCache{o}, std::invalid_argument);
  o.shards = 0;
  EXPECT_THROW(TskCache{o}, std::invalid_argument);
  o.shards = 1 << 20;
  EXPECT_THROW(TskCache{o}, std::invalid_argument);
  o.shards = 1;
  o.max_entries = 0;
  EXPECT_THROW(TskCache{o}, std::invalid_argument);
}

// ---- concurrency smoke: many threads, deterministic end state ----

TEST(TskCacheConcurrency, DistinctAndSharedNaisFromManyThreads) {
  TskCache cache({});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  constexpr std::uint32_t kSharedUses = 100;
  ASSERT_EQ(cache.store("shared@home.example", vector_of(1, 3600s, kSharedUses), t0), StoreResult::kStored);

  std::atomic<int> shared_leases{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string own = "u" + std::to_string(t) + "-" + std::to_string(i) + "@home.example";
        if (cache.store(own, vector_of(1), t0) != StoreResult::kStored) ++failures;
        if (!cache.acquire(own, t0)) ++failures;
        if (cache.acquire("shared@home.example", t0)) ++shared_leases;
        // Every thread races newer generations onto one NAI: the highest must win.
        (void)cache.store("race@home.example", vector_of(static_cast<std::uint32_t>(i * kThreads + t + 1)), t0);
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(shared_leases.load(), static_cast<int>(kSharedUses));
  EXPECT_EQ(cache.size(), static_cast<std::size_t>(kThreads * kPerThread + 2));
  EXPECT_EQ(cache.acquire("race@home.example", t0)->generation, static_cast<std::uint32_t>(kPerThread * kThreads));
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(cache.acquire("u" + std::to_string(t) + "-0@home.example", t0)->use, 2U);
}

TEST(TskCacheConcurrency, ConcurrentWaitersShareOneFetch) {
  TskCache cache({});
  constexpr int kThreads = 8;
  std::atomic<int> fetchers{0};
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      const auto got = cache.acquire_or_wait(kNai, t0, [&](FetchResult r) {
        if (r.lease) ++served;
      });
      if (got.must_fetch) ++fetchers;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fetchers.load(), 1);
  EXPECT_EQ(served.load(), 0);
  (void)cache.complete_fetch(kNai, vector_of(1), t0);
  EXPECT_EQ(served.load(), kThreads);
}

}  // namespace
}  // namespace roamkey::visited

namespace roamkey::visited {
namespace {

TEST(TskCacheStats, CountsHitsMissesEvictionsAndFetches) {
  TskCache cache(one_shard(2));
  EXPECT_FALSE(cache.acquire(kNai, t0));
  auto waiting = cache.acquire_or_wait(kNai, t0, [](FetchResult) {});
  ASSERT_TRUE(waiting.must_fetch);
  cache.acquire_or_wait(kNai, t0, [](FetchResult) {});  // joins the fetch in flight
  EXPECT_EQ(cache.stats().fetches_in_flight, 1U);
  EXPECT_EQ(cache.stats().misses, 3U);
  (void)cache.complete_fetch(kNai, vector_of(1, 60s), t0);
  EXPECT_EQ(cache.stats().fetches_in_flight, 0U);
  EXPECT_TRUE(cache.acquire(kNai, t0 + 1s));
  EXPECT_EQ(cache.stats().hits, 1U);

  cache.acquire_or_wait("bob@home.example", t0, [](FetchResult) {});
  cache.fail_fetch("bob@home.example", "no route");
  EXPECT_EQ(cache.stats().fetches_in_flight, 0U);

  EXPECT_EQ(cache.store("b@home.example", vector_of(1, 60s), t0), StoreResult::kStored);
  EXPECT_EQ(cache.stats().evictions, 0U);
  EXPECT_EQ(cache.store("c@home.example", vector_of(1, 60s), t0), StoreResult::kStored);
  EXPECT_EQ(cache.stats().evictions, 1U) << "the third subscriber evicts one of two";
  EXPECT_EQ(cache.size(), 2U);
}

TEST(TskCacheStats, AnExpiredFetchIsNoLongerInFlight) {
  TskCache::Options o = one_shard();
  o.fetch_timeout = 5s;
  TskCache cache(o);
  cache.acquire_or_wait(kNai, t0, [](FetchResult) {});
  EXPECT_EQ(cache.expire_fetches(t0 + 6s), 1U);
  EXPECT_EQ(cache.stats().fetches_in_flight, 0U);
}

TEST(TskCacheStats, ALowerLimitTakesEffectAtTheNextStore) {
  TskCache cache(one_shard(10));
  for (int i = 0; i < 5; ++i) (void)cache.store("u" + std::to_string(i) + "@home.example", vector_of(1, 60s), t0);
  cache.set_max_entries(3);
  EXPECT_EQ(cache.max_entries(), 3U);
  EXPECT_EQ(cache.size(), 5U) << "nothing is evicted at once";
  (void)cache.store("new@home.example", vector_of(1, 60s), t0);
  EXPECT_LT(cache.size(), 6U);
  EXPECT_THROW(cache.set_max_entries(0), std::invalid_argument);
}

}  // namespace
}  // namespace roamkey::visited
