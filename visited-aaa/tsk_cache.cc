#include "tsk_cache.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>
#include <exception>
#include <iterator>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "crypto/random.h"

namespace roamkey::visited {

namespace {

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower_ascii(x) == lower_ascii(y); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower_ascii);
  return out;
}

// Index of the realm part of a NAI (RFC 7542 sec. 2.2: what follows the last
// '@'); size() when there is none.
std::size_t realm_start(std::string_view nai) {
  const auto at = nai.rfind('@');
  return at == std::string_view::npos ? nai.size() : at + 1;
}

// Seeded per process because NAIs are chosen by whoever sends a DER: a fixed
// hash would let them aim many names at one bucket.
std::uint64_t process_seed() {
  static const std::uint64_t seed = [] {
    std::uint64_t s = 0;
    crypto::SystemRandom().fill({reinterpret_cast<std::uint8_t*>(&s), sizeof s});
    return s;
  }();
  return seed;
}

// FNV-1a over the NAI with its realm lower-cased, then the splitmix64
// finaliser so that the high bits (which pick the shard) are well mixed too.
struct NaiHash {
  using is_transparent = void;
  std::uint64_t seed = process_seed();

  std::size_t operator()(std::string_view nai) const {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    const std::size_t realm = realm_start(nai);
    for (std::size_t i = 0; i < nai.size(); ++i) {
      const char c = i >= realm ? lower_ascii(nai[i]) : nai[i];
      h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};

struct NaiEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    if (a.size() != b.size()) return false;
    const std::size_t realm = realm_start(a);
    if (realm != realm_start(b)) return false;
    return a.substr(0, realm) == b.substr(0, realm) && equal_ignore_case(a.substr(realm), b.substr(realm));
  }
};

// A vector as the cache keeps it: fixed size, no heap, TSK wiped when the
// object dies (erase, replacement of a pending slot, cache destruction).
// Copy assignment overwrites the TSK bytes in place.
struct StoredVector {
  std::array<std::uint8_t, kTskSize> tsk{};
  Rand rand{};
  Clock::time_point expires{};
  std::uint32_t generation = 0;
  std::uint32_t max_uses = 0;  // 0: unlimited (a vector with TSK-Max-Uses 0 is never stored)

  StoredVector() = default;
  StoredVector(const DelegatedVector& v, Clock::time_point now)
      : rand(v.rand), expires(now + v.lifetime), generation(v.generation), max_uses(v.max_uses.value_or(0)) {
    std::copy_n(v.tsk.data(), kTskSize, tsk.begin());
  }
  StoredVector(const StoredVector&) = default;
  StoredVector& operator=(const StoredVector&) = default;
  ~StoredVector() { OPENSSL_cleanse(tsk.data(), tsk.size()); }

  bool expired(Clock::time_point now) const { return now >= expires; }
};

// One cached subscriber. Kept small: the benchmark budget is 256 bytes per
// subscriber including the map node and the key. The pending slot is rare, so
// it costs a pointer until used; the home realm is interned.
struct Entry {
  StoredVector current;
  std::uint32_t uses = 0;
  const std::string* home_realm = nullptr;  // owned by the cache's RealmPool
  std::unique_ptr<StoredVector> pending;

  bool usable(Clock::time_point now) const {
    return !current.expired(now) && (current.max_uses == 0 || uses < current.max_uses);
  }
};

// What a lease is built from, copied under the lock so that the heap
// allocations of VectorLease happen after it is released.
struct Snapshot {
  StoredVector vector;
  std::uint32_t use = 0;
  const std::string* home_realm = nullptr;
};

VectorLease to_lease(const Snapshot& s) {
  VectorLease lease;
  lease.rand = s.vector.rand;
  lease.generation = s.vector.generation;
  lease.tsk = crypto::SecretBytes(crypto::ByteView(s.vector.tsk));
  lease.expires = s.vector.expires;
  if (s.vector.max_uses != 0) lease.max_uses = s.vector.max_uses;
  lease.use = s.use;
  lease.home_realm = *s.home_realm;
  return lease;
}

bool valid(const DelegatedVector& v) {
  return v.tsk.size() == kTskSize && v.lifetime.count() > 0 &&
         v.lifetime.count() <= std::numeric_limits<std::uint32_t>::max() && (!v.max_uses || *v.max_uses > 0) &&
         !v.home_realm.empty();
}

std::string failure_text(StoreResult r) {
  switch (r) {
    case StoreResult::kStored: return "no usable vector after storing the home's vector";
    case StoreResult::kStale: return "the home's vector is not newer than the cached one, which is not usable";
    case StoreResult::kInvalid: return "the home's vector is invalid";
    case StoreResult::kNoDelegation: return "no delegation held";
    case StoreResult::kRealmMismatch: return "the home's vector comes from another realm than the cached one";
  }
  return "unknown store result";
}

struct Fetch {
  Clock::time_point started;
  std::vector<FetchCallback> waiters;  // in arrival order
};

// Calls every waiter, outside any lock: the first grants.size() get a lease,
// the others `failure`. A throwing callback does not starve the others.
void deliver(std::vector<FetchCallback>& waiters, const std::vector<Snapshot>& grants, std::string_view failure) {
  std::exception_ptr first_error;
  for (std::size_t i = 0; i < waiters.size(); ++i) {
    FetchResult result;
    if (i < grants.size()) {
      result.lease = to_lease(grants[i]);
    } else {
      result.failure = std::string(failure);
    }
    try {
      waiters[i](std::move(result));
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace

struct alignas(64) TskCache::Shard {  // own cache line: shards are locked by different threads
  std::mutex mutex;
  std::unordered_map<std::string, Entry, NaiHash, NaiEqual> entries;
  std::unordered_map<std::string, Fetch, NaiHash, NaiEqual> fetches;
  std::size_t eviction_cursor = 0;  // bucket where the next eviction sample starts
};

// Home realms, lower case, each stored once for all entries. Strings are
// never removed, so entries keep plain pointers and read them without a lock.
// The set only grows with realms whose vectors passed validation, i.e. with
// the home domains the visited domain actually roams with.
class TskCache::RealmPool {
 public:
  const std::string* intern(std::string_view realm) {
    const std::string key = lower(realm);
    {
      std::shared_lock lock(mutex_);
      if (auto it = realms_.find(key); it != realms_.end()) return &*it;
    }
    std::unique_lock lock(mutex_);
    return &*realms_.insert(key).first;
  }

 private:
  std::shared_mutex mutex_;
  std::unordered_set<std::string> realms_;  // node-based: element addresses are stable
};

namespace {

// Counts one use of the entry's current vector. An expired entry is erased.
// Caller holds the shard lock; `size` is the cache's entry count.
std::optional<Snapshot> take_use(std::unordered_map<std::string, Entry, NaiHash, NaiEqual>& entries,
                                 std::atomic<std::size_t>& size, std::string_view nai, Clock::time_point now) {
  const auto it = entries.find(nai);
  if (it == entries.end()) return std::nullopt;
  Entry& e = it->second;
  if (e.current.expired(now)) {
    entries.erase(it);
    --size;
    return std::nullopt;
  }
  if (!e.usable(now)) return std::nullopt;
  ++e.uses;
  return Snapshot{e.current, e.uses, e.home_realm};
}

}  // namespace

TskCache::TskCache(Options options) : options_(options), max_entries_(options.max_entries) {
  if (options_.max_entries == 0) throw std::invalid_argument("TskCache: max_entries must be positive");
  if (options_.shards == 0 || options_.shards > 65536 || !std::has_single_bit(options_.shards))
    throw std::invalid_argument("TskCache: shards must be a power of two up to 65536");
  shard_bits_ = static_cast<unsigned>(std::countr_zero(options_.shards));
  shards_ = std::make_unique<Shard[]>(options_.shards);
  realms_ = std::make_unique<RealmPool>();
}

TskCache::~TskCache() = default;

TskCache::Shard& TskCache::shard_for(std::string_view nai) const {
  if (shard_bits_ == 0) return shards_[0];
  const auto h = static_cast<std::uint64_t>(NaiHash{}(nai));
  return shards_[h >> (64 - shard_bits_)];  // high bits; the shard's map uses the hash modulo a prime
}

std::optional<VectorLease> TskCache::acquire(std::string_view nai, Clock::time_point now) {
  Shard& shard = shard_for(nai);
  std::optional<Snapshot> snapshot;
  {
    std::lock_guard lock(shard.mutex);
    snapshot = take_use(shard.entries, size_, nai, now);
  }
  (snapshot ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  if (!snapshot) return std::nullopt;
  return to_lease(*snapshot);
}

TskCache::Acquisition TskCache::acquire_or_wait(std::string_view nai, Clock::time_point now, FetchCallback on_done) {
  if (!on_done) throw std::invalid_argument("TskCache::acquire_or_wait: empty callback");
  Shard& shard = shard_for(nai);
  Acquisition result;
  std::optional<Snapshot> snapshot;
  {
    std::lock_guard lock(shard.mutex);
    snapshot = take_use(shard.entries, size_, nai, now);
    if (!snapshot) {
      auto it = shard.fetches.find(nai);
      if (it == shard.fetches.end()) {
        it = shard.fetches.emplace(std::string(nai), Fetch{now, {}}).first;
        fetches_.fetch_add(1, std::memory_order_relaxed);
        result.must_fetch = true;
      }
      it->second.waiters.push_back(std::move(on_done));
    }
  }
  (snapshot ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  if (snapshot) result.lease = to_lease(*snapshot);
  return result;
}

StoreResult TskCache::store_locked(Shard& shard, std::string_view nai, const DelegatedVector& vector,
                                   const std::string* realm, Clock::time_point now) {
  if (auto it = shard.entries.find(nai); it != shard.entries.end()) {
    Entry& e = it->second;
    if (e.current.expired(now)) {
      // As good as gone: acquire() or sweep() would have erased it already,
      // and the outcome must not depend on whether they ran.
      shard.entries.erase(it);
      --size_;
    } else {
      if (!equal_ignore_case(*e.home_realm, vector.home_realm)) return StoreResult::kRealmMismatch;
      if (vector.generation <= e.current.generation) return StoreResult::kStale;
      e.current = StoredVector(vector, now);
      e.uses = 0;
      if (e.pending && e.pending->generation <= vector.generation) e.pending.reset();
      return StoreResult::kStored;
    }
  }
  // Evicting where the new entry goes keeps this under one lock; shards are
  // equally likely targets, so over time each gives back its share.
  if (size_.load() >= max_entries_.load(std::memory_order_relaxed)) evict_one(shard, now);
  shard.entries.emplace(std::string(nai), Entry{StoredVector(vector, now), 0, realm, nullptr});
  ++size_;
  return StoreResult::kStored;
}

void TskCache::evict_one(Shard& shard, Clock::time_point now) {
  auto& entries = shard.entries;
  if (entries.empty()) return;
  // Keys of the sampled nodes; a node's key lives until that node is erased.
  std::array<const std::string*, kEvictionSample> doomed{};
  std::size_t doomed_count = 0;
  const std::string* earliest = nullptr;
  Clock::time_point earliest_expiry = Clock::time_point::max();

  const std::size_t buckets = entries.bucket_count();
  std::size_t bucket = shard.eviction_cursor % buckets;
  std::size_t examined = 0;
  for (std::size_t visited = 0; visited < buckets && examined < kEvictionSample; ++visited) {
    for (auto it = entries.begin(bucket); it != entries.end(bucket) && examined < kEvictionSample; ++it, ++examined) {
      const Entry& e = it->second;
      if (!e.usable(now)) {
        doomed[doomed_count++] = &it->first;
      } else if (e.current.expires < earliest_expiry) {
        earliest = &it->first;
        earliest_expiry = e.current.expires;
      }
    }
    bucket = (bucket + 1) % buckets;
  }
  shard.eviction_cursor = bucket;
  if (doomed_count == 0 && earliest != nullptr) doomed[doomed_count++] = earliest;
  for (std::size_t i = 0; i < doomed_count; ++i) {
    entries.erase(entries.find(std::string_view(*doomed[i])));
    --size_;
  }
  evictions_.fetch_add(doomed_count, std::memory_order_relaxed);
}

TskCache::FetchCompletion TskCache::complete_fetch(std::string_view nai, const DelegatedVector& vector,
                                                   Clock::time_point now) {
  const std::string* realm = valid(vector) ? realms_->intern(vector.home_realm) : nullptr;
  Shard& shard = shard_for(nai);
  FetchCompletion completion;
  std::vector<FetchCallback> waiters;
  std::vector<Snapshot> grants;
  {
    std::lock_guard lock(shard.mutex);
    completion.store = realm ? store_locked(shard, nai, vector, realm, now) : StoreResult::kInvalid;
    if (auto f = shard.fetches.find(nai); f != shard.fetches.end()) {
      auto& queue = f->second.waiters;
      while (grants.size() < queue.size()) {
        auto snapshot = take_use(shard.entries, size_, nai, now);
        if (!snapshot) break;
        grants.push_back(std::move(*snapshot));
      }
      if (grants.size() < queue.size() && completion.store == StoreResult::kStored) {
        // The fresh vector's TSK-Max-Uses is spent: the rest wait for the next DLR.
        const auto served = queue.begin() + static_cast<std::ptrdiff_t>(grants.size());
        waiters.assign(std::make_move_iterator(queue.begin()), std::make_move_iterator(served));
        queue.erase(queue.begin(), served);
        f->second.started = now;
        completion.fetch_again = true;
      } else {
        waiters = std::move(queue);
        shard.fetches.erase(f);
        fetches_.fetch_sub(1, std::memory_order_relaxed);
      }
    }
  }
  deliver(waiters, grants, failure_text(completion.store));
  return completion;
}

void TskCache::fail_fetch(std::string_view nai, std::string_view reason) {
  Shard& shard = shard_for(nai);
  std::vector<FetchCallback> waiters;
  {
    std::lock_guard lock(shard.mutex);
    if (auto f = shard.fetches.find(nai); f != shard.fetches.end()) {
      waiters = std::move(f->second.waiters);
      shard.fetches.erase(f);
      fetches_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  deliver(waiters, {}, reason);
}

std::size_t TskCache::expire_fetches(Clock::time_point now) {
  std::vector<FetchCallback> waiters;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < options_.shards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mutex);
    for (auto it = shard.fetches.begin(); it != shard.fetches.end();) {
      if (now - it->second.started >= options_.fetch_timeout) {
        std::move(it->second.waiters.begin(), it->second.waiters.end(), std::back_inserter(waiters));
        it = shard.fetches.erase(it);
        fetches_.fetch_sub(1, std::memory_order_relaxed);
        ++failed;
      } else {
        ++it;
      }
    }
  }
  deliver(waiters, {}, "no answer from the home domain in time");
  return failed;
}

StoreResult TskCache::store(std::string_view nai, const DelegatedVector& vector, Clock::time_point now) {
  if (!valid(vector)) return StoreResult::kInvalid;
  const std::string* realm = realms_->intern(vector.home_realm);
  Shard& shard = shard_for(nai);
  std::lock_guard lock(shard.mutex);
  return store_locked(shard, nai, vector, realm, now);
}

StoreResult TskCache::set_pending(std::string_view nai, const DelegatedVector& vector, Clock::time_point now) {
  if (!valid(vector)) return StoreResult::kInvalid;
  auto next = std::make_unique<StoredVector>(vector, now);
  Shard& shard = shard_for(nai);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(nai);
  if (it == shard.entries.end()) return StoreResult::kNoDelegation;
  Entry& e = it->second;
  if (e.current.expired(now)) {
    shard.entries.erase(it);
    --size_;
    return StoreResult::kNoDelegation;
  }
  if (!equal_ignore_case(*e.home_realm, vector.home_realm)) return StoreResult::kRealmMismatch;
  if (vector.generation <= e.current.generation || (e.pending && vector.generation <= e.pending->generation))
    return StoreResult::kStale;
  e.pending = std::move(next);
  return StoreResult::kStored;
}

std::optional<VectorLease> TskCache::pending(std::string_view nai, Clock::time_point now) {
  Shard& shard = shard_for(nai);
  std::optional<Snapshot> snapshot;
  {
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(nai);
    if (it == shard.entries.end()) return std::nullopt;
    Entry& e = it->second;
    if (e.current.expired(now)) {
      shard.entries.erase(it);
      --size_;
      return std::nullopt;
    }
    if (!e.pending) return std::nullopt;
    if (e.pending->expired(now)) {
      e.pending.reset();
      return std::nullopt;
    }
    snapshot = Snapshot{*e.pending, 0, e.home_realm};
  }
  return to_lease(*snapshot);
}

bool TskCache::promote_pending(std::string_view nai, std::uint32_t generation, Clock::time_point now) {
  Shard& shard = shard_for(nai);
  std::unique_ptr<StoredVector> promoted;  // destroyed (wiped) after the lock is released
  std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(nai);
  if (it == shard.entries.end() || !it->second.pending) return false;
  Entry& e = it->second;
  if (e.pending->generation != generation) return false;
  if (e.pending->expired(now)) {
    e.pending.reset();
    return false;
  }
  // The current vector may have expired during the update; the MN has moved
  // to the pending one (sec. 5 step 10), so it becomes current regardless.
  promoted = std::move(e.pending);
  e.current = *promoted;
  e.uses = 0;
  return true;
}

bool TskCache::drop_pending(std::string_view nai, std::uint32_t generation) {
  Shard& shard = shard_for(nai);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(nai);
  if (it == shard.entries.end() || !it->second.pending || it->second.pending->generation != generation) return false;
  it->second.pending.reset();
  return true;
}

bool TskCache::invalidate(std::string_view nai, std::uint32_t at_or_below_generation, std::string_view home_realm) {
  Shard& shard = shard_for(nai);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(nai);
  if (it == shard.entries.end()) return false;
  if (!home_realm.empty() && !equal_ignore_case(*it->second.home_realm, home_realm)) return false;
  if (it->second.current.generation > at_or_below_generation) return false;
  shard.entries.erase(it);
  --size_;
  return true;
}

bool TskCache::erase(std::string_view nai) {
  Shard& shard = shard_for(nai);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(nai);
  if (it == shard.entries.end()) return false;
  shard.entries.erase(it);
  --size_;
  return true;
}

std::size_t TskCache::sweep(Clock::time_point now) {
  std::size_t erased = 0;
  for (std::size_t i = 0; i < options_.shards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mutex);
    for (auto it = shard.entries.begin(); it != shard.entries.end();) {
      Entry& e = it->second;
      if (e.current.expired(now)) {
        it = shard.entries.erase(it);
        --size_;
        ++erased;
        continue;
      }
      if (e.pending && e.pending->expired(now)) e.pending.reset();
      ++it;
    }
  }
  return erased;
}

std::size_t TskCache::size() const {
  return size_.load();
}

TskCache::Stats TskCache::stats() const {
  return Stats{hits_.load(std::memory_order_relaxed), misses_.load(std::memory_order_relaxed),
               evictions_.load(std::memory_order_relaxed), fetches_.load(std::memory_order_relaxed)};
}

void TskCache::set_max_entries(std::size_t max_entries) {
  if (max_entries == 0) throw std::invalid_argument("TskCache: max_entries must be positive");
  max_entries_.store(max_entries, std::memory_order_relaxed);
}

}  // namespace roamkey::visited
