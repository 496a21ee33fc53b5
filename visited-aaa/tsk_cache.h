#pragma once
// The visited domain's cache of RAND/TSK vectors delegated by home domains
// (protocol.md sec. 3, TSK-Vector). While it holds a usable vector for a NAI,
// an EAP-TSK authentication needs no home round trip (sec. 5, step 1); when it
// does not, exactly one Delegation request per NAI is in flight and every
// conversation that needs the vector waits for that one answer.
//
// Keys are NAIs as the MN sent them, compared with the realm part (after the
// last '@') case-insensitive, because realms are (sec. 1) and a home names the
// subscriber in DRR/KPR with its own spelling of the realm. The user part is
// compared exactly.
//
// Every operation takes `now` from the caller (steady clock) so that tests
// drive time. All operations are thread-safe. The map is split into shards,
// each with its own mutex; no operation holds two locks at once, and no
// callback runs under a lock.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/secret.h"

namespace roamkey::visited {

using Clock = std::chrono::steady_clock;
using Rand = std::array<std::uint8_t, 16>;   // TSK-RAND, sec. 3
inline constexpr std::size_t kTskSize = 32;  // TSK-Key, sec. 3

// A TSK-Vector as decoded from a DLA or a KPR, TSK already unwrapped.
struct DelegatedVector {
  Rand rand{};
  std::uint32_t generation = 0;           // Key-Generation
  crypto::SecretBytes tsk;                // must be kTskSize bytes
  std::chrono::seconds lifetime{0};       // TSK-Lifetime, counted from the moment the cache stores it
  std::optional<std::uint32_t> max_uses;  // TSK-Max-Uses; absent: unlimited
  std::string home_realm;                 // the realm that delegated it (Origin-Realm of the DLA/KPR)
};

// A copy of a cached vector, handed to one EAP conversation. It stays valid
// whatever later happens to the cache entry.
struct VectorLease {
  Rand rand{};
  std::uint32_t generation = 0;
  crypto::SecretBytes tsk;
  Clock::time_point expires;
  std::optional<std::uint32_t> max_uses;
  std::uint32_t use = 0;   // which authentication with this TSK this is, from 1; 0 for a pending-vector copy
  std::string home_realm;  // lower case
};

enum class StoreResult {
  kStored,
  kStale,          // generation not above the one(s) held (sec. 1: generations never decrease)
  kInvalid,        // TSK not 32 bytes, lifetime 0, TSK-Max-Uses 0 or no home realm
  kNoDelegation,   // set_pending: no current vector (none, or expired) for it to succeed
  kRealmMismatch,  // the entry belongs to another home realm
};

// What a conversation waiting for a Delegation answer receives.
struct FetchResult {
  std::optional<VectorLease> lease;  // the vector to use; one use is already counted
  std::string failure;               // when lease is empty: why, fit for a log line (never secret)
};
// Called exactly once per registered waiter, on the thread that completes or
// abandons the fetch, with no cache lock held: it may call back into the cache.
using FetchCallback = std::function<void(FetchResult)>;

class TskCache {
 public:
  struct Options {
    // Upper bound of cached subscribers. Once the cache holds this many,
    // storing a new NAI first evicts one entry from the shard the NAI goes to
    // (see kEvictionSample). The count is checked per shard without a global
    // lock, so it may overshoot by at most one entry per shard that was empty
    // and one per store running concurrently.
    std::size_t max_entries = 1'000'000;
    std::size_t shards = 64;  // power of two
    // Fetches older than this are failed by expire_fetches(): a safety net in
    // case a DLR's completion is ever lost, so a NAI cannot stay blocked.
    Clock::duration fetch_timeout = std::chrono::seconds(30);
  };

  struct Acquisition {
    std::optional<VectorLease> lease;  // set: use it now; the callback was dropped, never called
    bool must_fetch = false;           // no lease: true if the caller must send the DLR (see acquire_or_wait)
  };

  struct FetchCompletion {
    StoreResult store = StoreResult::kStored;
    // True when the new vector's TSK-Max-Uses ran out before every waiter got
    // a use. Those waiters stay registered, a new fetch is considered in
    // flight, and the caller must send another DLR and complete it again.
    bool fetch_again = false;
  };

  explicit TskCache(Options options);  // throws std::invalid_argument on a bad shard count or max_entries 0
  ~TskCache();                         // pending waiters are dropped without a call
  TskCache(const TskCache&) = delete;
  TskCache& operator=(const TskCache&) = delete;

  // A usable vector for nai, counting one use. An expired entry is erased
  // (its pending vector with it). An entry whose TSK-Max-Uses is used up is
  // kept, so that its generation still refuses stale vectors, and yields
  // nothing until a newer vector replaces it or it expires.
  std::optional<VectorLease> acquire(std::string_view nai, Clock::time_point now);

  // The race-free way for a conversation to get a vector (sec. 5 step 1):
  //  - a usable vector is held: returns its lease; on_done is dropped.
  //  - otherwise on_done is registered and will be called exactly once by
  //    complete_fetch(), fail_fetch() or expire_fetches(). must_fetch is true
  //    for the caller that started the fetch: it sends the DLR and then MUST
  //    call complete_fetch() or fail_fetch() for nai exactly once, on every
  //    outcome (answer, error, timeout, send failure). Other callers joined a
  //    fetch already in flight and only wait.
  // The callback should reference its conversation by id (weakly): the
  // conversation may have timed out by the time the answer arrives.
  Acquisition acquire_or_wait(std::string_view nai, Clock::time_point now, FetchCallback on_done);

  // The DLA's vector: stores it (as store()), then gives each waiter, in
  // arrival order, a lease from whatever usable vector the entry now holds.
  // If none is usable, waiters fail with a reason naming the store result.
  // Also accepted when no fetch is in flight (a late answer): it is stored.
  // Waiters' callbacks run on this thread after the lock is released; if one
  // throws, the others are still called and the first exception is rethrown.
  [[nodiscard]] FetchCompletion complete_fetch(std::string_view nai, const DelegatedVector& vector,
                                               Clock::time_point now);
  // The DLR failed (error answer, timeout, no route): every waiter gets
  // `reason` and no lease; the next acquire_or_wait starts a new fetch.
  void fail_fetch(std::string_view nai, std::string_view reason);
  // Fails fetches started at least Options::fetch_timeout before now.
  // Returns how many fetches were failed.
  std::size_t expire_fetches(Clock::time_point now);

  // Inserts or replaces the current vector; replacing resets the use count
  // and drops a pending vector that is not newer than the new current one.
  // Never replaces with a generation lower than or equal to the one held (a
  // replayed or reordered answer must not reset the use count), never
  // across home realms (an entry belongs to the realm that stored it).
  StoreResult store(std::string_view nai, const DelegatedVector& vector, Clock::time_point now);

  // Pending slot: the next vector, pushed by the home with KPR (sec. 3),
  // kept beside the current one until the key update of sec. 5 steps 7-11
  // succeeds (promote_pending) or fails (drop_pending). It must be newer than
  // the current vector and than a pending one it replaces, and comes from the
  // entry's realm. It lives only as long as the current vector: an entry
  // whose current vector expires or is invalidated goes away whole.
  StoreResult set_pending(std::string_view nai, const DelegatedVector& vector, Clock::time_point now);
  // A copy of the pending vector (no use counted), if one is held and not expired.
  std::optional<VectorLease> pending(std::string_view nai, Clock::time_point now);
  // Makes the pending vector of exactly this generation the current one with
  // no uses (sec. 5 step 11). False if it is gone, replaced or expired.
  bool promote_pending(std::string_view nai, std::uint32_t generation, Clock::time_point now);
  // Drops the pending vector if it has this generation.
  bool drop_pending(std::string_view nai, std::uint32_t generation);

  // Erases the entry if its current vector's generation is at or below
  // `at_or_below_generation`: after Error STALE_GENERATION (sec. 5 step 2) or
  // a Delegation-Revoke naming a Key-Generation (pass UINT32_MAX when it
  // names none). A non-empty home_realm restricts this to entries delegated
  // by that realm (a home revokes only its own delegations). True if erased.
  bool invalidate(std::string_view nai, std::uint32_t at_or_below_generation, std::string_view home_realm = {});

  bool erase(std::string_view nai);

  // Erases entries whose current vector has expired and pending vectors that
  // have. Returns how many entries were erased. Meant for a periodic timer.
  std::size_t sweep(Clock::time_point now);

  std::size_t size() const;

  // Counters since construction, for metrics (relaxed: each is exact, they
  // are not a consistent snapshot of one another).
  struct Stats {
    std::uint64_t hits = 0;             // a lookup found a usable vector
    std::uint64_t misses = 0;           // a lookup found none (a fetch starts or is joined)
    std::uint64_t evictions = 0;        // entries evicted to make room (not expiry)
    std::size_t fetches_in_flight = 0;  // NAIs waiting for a Delegation answer
  };
  Stats stats() const;

  // A new upper bound of cached subscribers (a configuration reload). A
  // smaller one is reached by evicting on later stores, not at once.
  void set_max_entries(std::size_t max_entries);
  std::size_t max_entries() const { return max_entries_.load(std::memory_order_relaxed); }

  // Eviction (store() of a new NAI into a full cache) looks at up to this many
  // entries, from a cursor that moves on each time so that the whole shard is
  // visited over time, and erases the unusable ones among them (expired, or
  // used up with nothing pending); if there are none, the one that expires
  // first. An approximation of "expired first, else oldest expiry" that costs
  // O(1) instead of a scan of the shard under its lock.
  static constexpr std::size_t kEvictionSample = 32;

 private:
  struct Shard;
  class RealmPool;

  Shard& shard_for(std::string_view nai) const;
  StoreResult store_locked(Shard& shard, std::string_view nai, const DelegatedVector& vector, const std::string* realm,
                           Clock::time_point now);
  void evict_one(Shard& shard, Clock::time_point now);

  Options options_;
  unsigned shard_bits_;
  std::unique_ptr<Shard[]> shards_;
  std::unique_ptr<RealmPool> realms_;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::size_t> max_entries_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  std::atomic<std::uint64_t> evictions_{0};
  std::atomic<std::size_t> fetches_{0};
};

}  // namespace roamkey::visited
