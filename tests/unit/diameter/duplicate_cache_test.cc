// DuplicateCache (common/diameter/duplicate_cache.h): keys, the window on an
// injected clock, the entry cap, held repeats and what is not remembered.
// Answers here are empty snapshots; duplicate_detector_test.cc uses real
// freeDiameter messages.

#include "diameter/duplicate_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace roamkey::diameter {
namespace {

using namespace std::chrono_literals;
using Verdict = DuplicateCache::Verdict;

class FakeClock {
 public:
  DuplicateCache::Clock clock() {
    return [this] { return now_; };
  }
  void advance(std::chrono::steady_clock::duration d) { now_ += d; }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

DuplicateKey key(std::string host, std::uint32_t e2e) {
  return DuplicateKey{std::move(host), e2e};
}

RequestFingerprint fingerprint(std::uint8_t seed) {
  RequestFingerprint f{};
  f.fill(seed);
  return f;
}

RememberedAnswer answer(bool protocol_error = false) {
  RememberedAnswer a;
  a.protocol_error = protocol_error;
  return a;
}

// Counts its calls; reports its own destruction (held repeats released).
struct WaiterProbe {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  std::shared_ptr<bool> alive = std::make_shared<bool>(false);

  DuplicateCache::Waiter make() {
    struct Flag {
      std::shared_ptr<bool> alive;
      explicit Flag(std::shared_ptr<bool> a) : alive(std::move(a)) { *alive = true; }
      ~Flag() { *alive = false; }
    };
    auto flag = std::make_shared<Flag>(alive);
    return [c = calls, flag](const RememberedAnswer&) { ++*c; };
  }
};

DuplicateCache::Admission admit(DuplicateCache& cache, const DuplicateKey& k, std::uint8_t fp = 1) {
  DuplicateCache::Waiter unused = [](const RememberedAnswer&) {};
  return cache.admit(k, fingerprint(fp), unused);
}

TEST(DuplicateKeyTest, EqualOnlyWithSameHostAndEndToEndId) {
  EXPECT_EQ(key("aaa.visited.example", 7), key("aaa.visited.example", 7));
  EXPECT_NE(key("aaa.visited.example", 7), key("aaa.visited.example", 8));
  EXPECT_NE(key("aaa.visited.example", 7), key("aaa.other.example", 7));
  EXPECT_EQ(DuplicateKeyHash{}(key("aaa.visited.example", 7)), DuplicateKeyHash{}(key("aaa.visited.example", 7)));

  std::unordered_set<DuplicateKey, DuplicateKeyHash> seen{key("a.example", 1), key("a.example", 2),
                                                          key("b.example", 1)};
  EXPECT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen.count(key("a.example", 2)), 1U);
  EXPECT_EQ(seen.count(key("b.example", 2)), 0U);
}

TEST(DuplicateCacheTest, FirstRequestGetsATicketAndItsRepeatTheRecordedAnswer) {
  FakeClock clock;
  DuplicateCache cache({}, clock.clock());
  auto first = admit(cache, key("v.example", 1));
  ASSERT_EQ(first.verdict, Verdict::First);
  ASSERT_NE(first.ticket, nullptr);
  EXPECT_EQ(cache.size(), 1U);

  first.ticket->complete(answer());
  auto repeat = admit(cache, key("v.example", 1));
  EXPECT_EQ(repeat.verdict, Verdict::Replay);
  ASSERT_NE(repeat.answer, nullptr);
  EXPECT_FALSE(repeat.answer->protocol_error);
  EXPECT_EQ(repeat.ticket, nullptr);

  // Same answer object for every repeat; other keys are unaffected.
  EXPECT_EQ(admit(cache, key("v.example", 1)).answer, repeat.answer);
  EXPECT_EQ(admit(cache, key("v.example", 2)).verdict, Verdict::First);
  EXPECT_EQ(admit(cache, key("w.example", 1)).verdict, Verdict::First);
}

TEST(DuplicateCacheTest, RepeatWhileFirstInProgressIsHeldAndAnsweredOnCompletion) {
  FakeClock clock;
  DuplicateCache cache({}, clock.clock());
  auto first = admit(cache, key("v.example", 1));
  WaiterProbe probe;
  auto w = probe.make();
  EXPECT_EQ(cache.admit(key("v.example", 1), fingerprint(1), w).verdict, Verdict::Held);
  EXPECT_EQ(*probe.calls, 0);

  first.ticket->complete(answer());
  EXPECT_EQ(*probe.calls, 1);
  EXPECT_FALSE(*probe.alive);  // released after being answered
}

TEST(DuplicateCacheTest, RepeatsBeyondTheHeldLimitAreDropped) {
  FakeClock clock;
  DuplicatePolicy policy;
  policy.max_held_repeats = 2;
  DuplicateCache cache(policy, clock.clock());
  auto first = admit(cache, key("v.example", 1));
  WaiterProbe probe;
  for (int i = 0; i < 2; ++i) {
    auto w = probe.make();
    EXPECT_EQ(cache.admit(key("v.example", 1), fingerprint(1), w).verdict, Verdict::Held);
  }
  auto extra = probe.make();
  EXPECT_EQ(cache.admit(key("v.example", 1), fingerprint(1), extra).verdict, Verdict::Dropped);
  EXPECT_TRUE(extra);  // not taken: the caller drops the request

  first.ticket->complete(answer());
  EXPECT_EQ(*probe.calls, 2);
}

TEST(DuplicateCacheTest, EntryLivesExactlyTheWindowFromTheFirstRequest) {
  FakeClock clock;
  DuplicatePolicy policy;
  policy.window = 240s;
  DuplicateCache cache(policy, clock.clock());
  admit(cache, key("v.example", 1)).ticket->complete(answer());

  clock.advance(239s);
  EXPECT_EQ(admit(cache, key("v.example", 1)).verdict, Verdict::Replay);  // repeats do not extend the window
  clock.advance(1s);
  auto again = admit(cache, key("v.example", 1));
  EXPECT_EQ(again.verdict, Verdict::First);
  EXPECT_NE(again.ticket, nullptr);
}

TEST(DuplicateCacheTest, SweepRemovesOnlyExpiredEntries) {
  FakeClock clock;
  DuplicatePolicy policy;
  policy.window = 10s;
  DuplicateCache cache(policy, clock.clock());
  admit(cache, key("v.example", 1)).ticket->complete(answer());
  clock.advance(5s);
  admit(cache, key("v.example", 2)).ticket->complete(answer());
  EXPECT_EQ(cache.sweep(), 0U);
  EXPECT_EQ(cache.size(), 2U);

  clock.advance(5s);
  EXPECT_EQ(cache.sweep(), 1U);
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_EQ(admit(cache, key("v.example", 2)).verdict, Verdict::Replay);

  clock.advance(5s);
  EXPECT_EQ(cache.sweep(), 1U);
  EXPECT_EQ(cache.size(), 0U);
}

TEST(DuplicateCacheTest, CapEvictsTheOldestEntryFirst) {
  FakeClock clock;
  DuplicatePolicy policy;
  policy.max_entries = 3;
  DuplicateCache cache(policy, clock.clock());
  for (std::uint32_t id = 1; id <= 4; ++id) {
    admit(cache, key("v.example", id)).ticket->complete(answer());
    clock.advance(1s);
  }
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_EQ(admit(cache, key("v.example", 4)).verdict, Verdict::Replay);
  EXPECT_EQ(admit(cache, key("v.example", 3)).verdict, Verdict::Replay);
  EXPECT_EQ(admit(cache, key("v.example", 2)).verdict, Verdict::Replay);
  // Lookups do not refresh: 1 was evicted, and taking it back evicts 2.
  const auto again = admit(cache, key("v.example", 1));
  EXPECT_EQ(again.verdict, Verdict::First);
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_EQ(admit(cache, key("v.example", 2)).verdict, Verdict::First);
}

TEST(DuplicateCacheTest, EvictedEntryStillAnswersTheRepeatsItHolds) {
  FakeClock clock;
  DuplicatePolicy policy;
  policy.max_entries = 1;
  DuplicateCache cache(policy, clock.clock());
  auto first = admit(cache, key("v.example", 1));
  WaiterProbe probe;
  auto w = probe.make();
  ASSERT_EQ(cache.admit(key("v.example", 1), fingerprint(1), w).verdict, Verdict::Held);

  auto other = admit(cache, key("v.example", 2));  // evicts 1 while it is handled
  ASSERT_EQ(other.verdict, Verdict::First);
  first.ticket->complete(answer());
  EXPECT_EQ(*probe.calls, 1);
  EXPECT_EQ(admit(cache, key("v.example", 2)).verdict, Verdict::Held);
}

TEST(DuplicateCacheTest, SameKeyForADifferentRequestIsACollisionAndKeepsTheEntry) {
  FakeClock clock;
  DuplicateCache cache({}, clock.clock());
  admit(cache, key("v.example", 0), 1).ticket->complete(answer());

  auto other = admit(cache, key("v.example", 0), 2);
  EXPECT_EQ(other.verdict, Verdict::Collision);
  EXPECT_EQ(other.ticket, nullptr);
  EXPECT_EQ(other.answer, nullptr);
  EXPECT_EQ(admit(cache, key("v.example", 0), 1).verdict, Verdict::Replay);
}

TEST(DuplicateCacheTest, ProtocolErrorsReachHeldRepeatsButAreNotRemembered) {
  FakeClock clock;
  DuplicateCache cache({}, clock.clock());
  auto first = admit(cache, key("v.example", 1));
  bool held_got_error = false;
  DuplicateCache::Waiter w = [&](const RememberedAnswer& a) { held_got_error = a.protocol_error; };
  ASSERT_EQ(cache.admit(key("v.example", 1), fingerprint(1), w).verdict, Verdict::Held);

  first.ticket->complete(answer(/*protocol_error=*/true));
  EXPECT_TRUE(held_got_error);
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_EQ(admit(cache, key("v.example", 1)).verdict, Verdict::First);
}

TEST(DuplicateCacheTest, TicketDroppedWithoutAnswerForgetsTheKeyAndReleasesHeldRepeats) {
  FakeClock clock;
  DuplicateCache cache({}, clock.clock());
  auto first = admit(cache, key("v.example", 1));
  WaiterProbe probe;
  auto w = probe.make();
  ASSERT_EQ(cache.admit(key("v.example", 1), fingerprint(1), w).verdict, Verdict::Held);
  ASSERT_TRUE(*probe.alive);

  first.ticket.reset();
  EXPECT_EQ(*probe.calls, 0);
  EXPECT_FALSE(*probe.alive);
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_EQ(admit(cache, key("v.example", 1)).verdict, Verdict::First);
}

TEST(DuplicateCacheTest, TicketRecordsOneAnswerOnly) {
  FakeClock clock;
  DuplicateCache cache({}, clock.clock());
  auto first = admit(cache, key("v.example", 1));
  first.ticket->complete(answer());
  EXPECT_THROW(first.ticket->complete(answer()), std::logic_error);
}

TEST(DuplicateCacheTest, TicketOutlivesTheCache) {
  FakeClock clock;
  std::shared_ptr<DuplicateTicket> ticket;
  WaiterProbe probe;
  {
    DuplicateCache cache({}, clock.clock());
    ticket = admit(cache, key("v.example", 1)).ticket;
    auto w = probe.make();
    ASSERT_EQ(cache.admit(key("v.example", 1), fingerprint(1), w).verdict, Verdict::Held);
  }
  ticket->complete(answer());
  EXPECT_EQ(*probe.calls, 1);
}

TEST(DuplicateCacheTest, RejectsAPolicyWithoutWindowOrRoom) {
  DuplicatePolicy no_window;
  no_window.window = 0s;
  EXPECT_THROW(DuplicateCache{no_window}, std::invalid_argument);
  DuplicatePolicy no_room;
  no_room.max_entries = 0;
  EXPECT_THROW(DuplicateCache{no_room}, std::invalid_argument);
  EXPECT_THROW(DuplicateCache({}, DuplicateCache::Clock{}), std::invalid_argument);
}

// Dispatch threads admit concurrently: exactly one of them handles the
// request, every other one is held and answered once.
TEST(DuplicateCacheTest, ConcurrentRepeatsYieldOneFirstRequest) {
  constexpr int kThreads = 8;
  DuplicatePolicy policy;
  policy.max_held_repeats = kThreads;
  DuplicateCache cache(policy);
  std::atomic<int> answered{0};
  std::mutex m;
  std::vector<DuplicateCache::Admission> admissions;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      DuplicateCache::Waiter w = [&](const RememberedAnswer&) { ++answered; };
      auto a = cache.admit(key("v.example", 42), fingerprint(1), w);
      const std::lock_guard lock(m);
      admissions.push_back(std::move(a));
    });
  }
  for (auto& t : threads) t.join();

  std::shared_ptr<DuplicateTicket> ticket;
  int held = 0;
  for (auto& a : admissions) {
    if (a.verdict == Verdict::First) {
      EXPECT_EQ(ticket, nullptr);
      ticket = a.ticket;
    } else {
      EXPECT_EQ(a.verdict, Verdict::Held);
      ++held;
    }
  }
  ASSERT_NE(ticket, nullptr);
  EXPECT_EQ(held, kThreads - 1);
  ticket->complete(answer());
  EXPECT_EQ(answered.load(), kThreads - 1);
}

}  // namespace
}  // namespace roamkey::diameter
