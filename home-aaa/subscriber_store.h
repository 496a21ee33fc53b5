#pragma once
// The home domain's subscriber database (protocol.md sec. 1 and 3): each
// subscriber's first key K, status, where it may roam, its key-generation
// counter, and a record of every vector issued.
//
// The interface is what the delegation logic and the operator CLI need; the
// SQLite implementation is the embedded default (sqlite_subscriber_store.h).
// Every method is safe to call from several threads at once.
//
// Errors: StoreError for a failure of the store itself (I/O, corruption, a
// file that is not a store). std::invalid_argument for a malformed input
// (NAI, realm, key length). Neither ever carries key material.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "storage/error.h"

namespace roamkey::home {

// Seconds since the Unix epoch, UTC: the resolution the store keeps.
using Timestamp = std::chrono::sys_seconds;

// A store failure, "<file>: <operation>: <reason>"; the SQLite layer's own
// errors are of this type too.
using StoreError = sqlite::Error;

// add/import met an NAI that is already provisioned (RFC 7542 comparison,
// see nai.h). `index` is the position in the import batch (0 for add).
class DuplicateSubscriber : public StoreError {
 public:
  DuplicateSubscriber(std::string nai, std::size_t index);
  const std::string& nai() const { return nai_; }
  std::size_t index() const { return index_; }

 private:
  std::string nai_;
  std::size_t index_;
};

enum class SubscriberStatus { Active, Barred };

std::string_view to_string(SubscriberStatus s);

// Where a subscriber may roam: every configured roaming partner, or the
// listed realms (lower-case). Empty list and all_partners false: nowhere,
// which is the default for a new subscriber (deny unless granted).
struct RoamingScope {
  bool all_partners = false;
  std::vector<std::string> realms;

  static RoamingScope everywhere() { return {true, {}}; }
  // Whether `realm` (any case) is allowed. Partnership itself is the
  // caller's check: this only reads the subscriber's own grant.
  bool allows(std::string_view realm) const;
};

// What an operator may see of a subscriber: everything except K.
struct Subscriber {
  std::string nai;  // as provisioned
  SubscriberStatus status = SubscriberStatus::Active;
  RoamingScope roaming;
  std::uint32_t last_generation = 0;  // 0: no vector issued yet
  std::uint64_t vectors_issued = 0;
  // The generation the mobile holds as far as the home knows: the highest
  // one a visited domain reported UPDATED (KUR); 0: none reported.
  std::uint32_t mobile_generation = 0;
  std::optional<Timestamp> mobile_generation_at;
  Timestamp created_at{};
  Timestamp updated_at{};
};

// A subscriber with K, for the delegation logic only.
struct SubscriberWithKey {
  Subscriber subscriber;
  crypto::SecretBytes k;
};

struct NewSubscriber {
  std::string nai;
  crypto::SecretBytes k;  // exactly kKeyLength bytes
  SubscriberStatus status = SubscriberStatus::Active;
  RoamingScope roaming;
};

inline constexpr std::size_t kKeyLength = 32;   // protocol.md sec. 1
inline constexpr std::size_t kRandLength = 16;  // protocol.md sec. 2

// One (RAND, generation) issued to a visited domain (never the TSK: it is
// recomputed from K when needed).
struct VectorRecord {
  std::uint32_t generation = 0;
  crypto::Bytes rand;
  std::string visited_realm;  // lower-case, as it entered the derivation
  std::string visited_host;   // the Diameter identity that asked
  Timestamp issued_at{};
  Timestamp expires_at{};
};

struct IssueRequest {
  std::string_view nai;
  std::string_view visited_realm;
  std::string_view visited_host;
  crypto::ByteView rand;   // kRandLength bytes
  std::uint32_t lifetime;  // seconds
  Timestamp now;
  // The User-Name the visited domain sent (it names the subscriber in later
  // DRR/KPR); empty: `nai`.
  std::string_view user_name = {};
};

struct SubscriberPage {
  std::vector<Subscriber> subscribers;
  // Pass as `after` to get the next page; nullopt on the last page.
  std::optional<std::string> next;
};

class SubscriberStore {
 public:
  virtual ~SubscriberStore() = default;

  // Throws DuplicateSubscriber if the NAI exists. A NAI that was removed
  // and is added again continues its old generation counter (sec. 1: the
  // generation never decreases; the MN may still hold the old one).
  virtual void add(const NewSubscriber& s, Timestamp now) = 0;
  // All or nothing: one transaction; DuplicateSubscriber names the first
  // entry that clashes with the store or with an earlier entry.
  virtual void import(const std::vector<NewSubscriber>& batch, Timestamp now) = 0;

  virtual std::optional<Subscriber> get(std::string_view nai) = 0;
  virtual std::optional<SubscriberWithKey> get_with_key(std::string_view nai) = 0;
  // Subscribers in canonical-NAI order, starting after the cursor `after`
  // (empty: from the beginning); at most `limit` (>= 1) per page.
  virtual SubscriberPage list(std::string_view after, std::size_t limit) = 0;

  // false: no such subscriber. A store that also keeps delegations
  // (delegation_store.h) revokes the active one in the same transaction,
  // with SUBSCRIPTION_WITHDRAWN, when barring, when removing, and when the
  // new roaming scope no longer allows its realm.
  virtual bool set_status(std::string_view nai, SubscriberStatus status, Timestamp now) = 0;
  virtual bool set_roaming(std::string_view nai, const RoamingScope& roaming, Timestamp now) = 0;
  virtual bool remove(std::string_view nai, Timestamp now) = 0;

  // Increments the subscriber's generation and records the vector in one
  // durable transaction (no delegation bookkeeping: the delegation logic
  // uses DelegationStore::record_delegation), and returns the new generation; committed before
  // this returns, so before any answer carrying it can leave. nullopt: no
  // such subscriber. Throws StoreError when the generation space (2^32 - 1)
  // is exhausted.
  virtual std::optional<std::uint32_t> issue_vector(const IssueRequest& request) = 0;
  virtual std::optional<VectorRecord> find_issued(std::string_view nai, std::uint32_t generation) = 0;
  // In generation order; empty for an unknown NAI.
  virtual std::vector<VectorRecord> list_delegations(std::string_view nai) = 0;
};

}  // namespace roamkey::home
