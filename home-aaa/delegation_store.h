#pragma once
// What the home domain delegated and still owes the visited domains
// (protocol.md sec. 3): each subscriber's one active delegation, the
// revocations (DRR) and key pushes (KPR) still to be delivered to visited
// hosts, the key-update reports (KUR) received, and the operator requests
// the CLI queues for the daemon.
//
// The operator CLI and the daemon are two processes; this store is the only
// channel between them. The CLI writes (a revocation, a rotation request)
// whether or not the daemon runs; the daemon polls every second and sends.
// Everything queued survives restarts.
//
// Every method is safe to call from several threads at once. Errors as in
// subscriber_store.h (StoreError; never key material).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "subscriber_store.h"

namespace roamkey::home {

// protocol.md sec. 3, Revocation-Cause.
enum class RevocationCause : std::uint32_t {
  Administrative = 0,
  NewDelegation = 1,
  SubscriptionWithdrawn = 2,
  KeyCompromised = 3,
};
std::string_view to_string(RevocationCause c);  // "ADMINISTRATIVE", ...

// protocol.md sec. 3, Key-Update-Status.
enum class KeyUpdateStatus : std::uint32_t { Updated = 0, RejectedByMn = 1, Abandoned = 2 };
std::string_view to_string(KeyUpdateStatus s);  // "UPDATED", ...

// A subscriber's delegation: the visited realm and host that got its latest
// vector. Active until revoked or found gone at the visited host; at most
// one per subscriber (a newer one replaces it).
struct DelegationRecord {
  std::string nai;            // as provisioned
  std::string user_name;      // User-Name of the latest DLR: how the visited domain names the subscriber
  std::string visited_realm;  // lower-case
  std::string visited_host;   // lower-case
  std::uint32_t first_generation = 0;
  std::uint32_t generation = 0;  // the latest issued within it (DLR or rotation)
  Timestamp started_at{};
  Timestamp issued_at{};   // of `generation`: the rotation interval counts from here
  Timestamp expires_at{};  // of `generation`
  std::optional<Timestamp> ended_at;
  std::string end_reason;  // set when ended
  bool active() const { return !ended_at; }
};

enum class RevocationState { Pending, Delivered, Abandoned };
std::string_view to_string(RevocationState s);

// One DRR owed to one visited host.
struct RevocationRecord {
  std::int64_t id = 0;
  std::string nai;  // as provisioned (the subscriber may since be removed)
  std::string user_name;
  std::string visited_realm;  // Destination-Realm
  std::string visited_host;   // Destination-Host
  RevocationCause cause = RevocationCause::Administrative;
  std::optional<std::uint32_t> generation;  // Key-Generation: drop generations <= it; nullopt: all
  Timestamp created_at{};
  // After this the revoked vectors are long expired at the visited host, so
  // delivery no longer matters: the revocation is abandoned.
  Timestamp give_up_at{};
  Timestamp next_attempt_at{};
  std::uint32_t attempts = 0;
  std::string last_error;
  RevocationState state = RevocationState::Pending;
  std::optional<Timestamp> finished_at;
};

enum class KeyPushState {
  Sending,     // to be delivered (again)
  Pending,     // KPA 2001: the visited host holds it as pending
  Updated,     // KUR UPDATED: the mobile took it
  Rejected,    // KUR REJECTED_BY_MN or ABANDONED
  Gone,        // KPA 5401: the visited host holds no delegation any more
  Failed,      // refused for good (another answer than 2001, 3xxx or 5401)
  Superseded,  // a newer generation, a new delegation or a revocation made it moot
  Expired,     // its lifetime ended before it could be delivered
};
std::string_view to_string(KeyPushState s);

// One rotated generation to push (KPR) to the host of the active delegation.
struct KeyPushRecord {
  std::int64_t id = 0;
  std::string nai;
  std::string user_name;
  std::string visited_realm;
  std::string visited_host;
  std::uint32_t generation = 0;
  crypto::Bytes rand;
  std::uint32_t lifetime = 0;
  std::optional<std::uint32_t> max_uses;
  Timestamp created_at{};
  Timestamp expires_at{};
  Timestamp next_attempt_at{};
  std::uint32_t attempts = 0;
  std::string last_error;
  KeyPushState state = KeyPushState::Sending;
  std::optional<Timestamp> finished_at;
};

// A KUR as received (protocol.md sec. 3).
struct KeyUpdateReport {
  std::string_view nai;
  std::string_view visited_realm;
  std::string_view visited_host;
  std::uint32_t generation = 0;
  KeyUpdateStatus status = KeyUpdateStatus::Updated;
  Timestamp now{};
};

// One distinct (generation, status) reported for a subscriber; repeated
// reports (retries) only count up.
struct KeyUpdateRecord {
  std::uint32_t generation = 0;
  KeyUpdateStatus status = KeyUpdateStatus::Updated;
  std::string visited_realm;
  std::string visited_host;
  Timestamp first_reported_at{};
  Timestamp last_reported_at{};
  std::uint32_t reports = 0;
};

enum class KeyUpdateRecording {
  Recorded,           // first report of this (generation, status)
  Repeated,           // already recorded: nothing changed but the count
  UnknownSubscriber,  // 5401
  UnknownGeneration,  // 5404: never issued, or issued to another realm
};

struct OperatorRequest {
  std::int64_t id = 0;
  std::string kind;  // "rotate"
  std::string nai;
  Timestamp requested_at{};
  std::optional<Timestamp> handled_at;
  std::string result;
};

struct DelegationIssue {
  std::uint32_t generation = 0;
  // The delegation this one replaced because it was with another realm; it
  // was revoked with NEW_DELEGATION.
  std::optional<DelegationRecord> revoked;
  std::size_t revocations_queued = 0;
};

struct RevocationOutcome {
  std::optional<DelegationRecord> revoked;  // empty: the subscriber had no active delegation
  std::size_t revocations_queued = 0;
};

struct RotationRequest {
  std::string_view nai;
  // The delegation generation the caller decided on: the rotation is
  // refused (nullopt) if the delegation changed meanwhile.
  std::uint32_t expected_generation = 0;
  crypto::ByteView rand;  // kRandLength bytes
  std::uint32_t lifetime = 0;
  std::optional<std::uint32_t> max_uses;
  Timestamp now{};
};

class DelegationStore {
 public:
  virtual ~DelegationStore() = default;

  // DLR: issues the next generation as SubscriberStore::issue_vector does and
  // makes (realm, host) the subscriber's active delegation, in one durable
  // transaction. An active delegation with another realm is revoked
  // (NEW_DELEGATION): one revocation per host of that realm that got one of
  // its vectors. Pushes not yet taken by the mobile are superseded. nullopt:
  // no such subscriber.
  virtual std::optional<DelegationIssue> record_delegation(const IssueRequest& request) = 0;
  // Runs `body` inside one write transaction and syncs it once (group
  // commit, DelegationQueue): every store call `body` makes on this thread
  // joins that transaction, each in a savepoint of its own, so one failing
  // call rolls back only its own work. Nothing `body` wrote is durable, nor
  // may any answer depending on it leave, before this returns; a failed
  // commit throws StoreError and leaves none of it in the store. Other
  // threads' calls wait for the whole batch.
  virtual void in_one_transaction(const std::function<void()>& body) = 0;
  // The subscriber's latest delegation, active or ended; nullopt: none.
  virtual std::optional<DelegationRecord> delegation(std::string_view nai) = 0;
  // Ends the active delegation and queues a DRR to each host of it.
  // nullopt: no such subscriber.
  virtual std::optional<RevocationOutcome> revoke(std::string_view nai, RevocationCause cause, Timestamp now) = 0;

  // Active, unexpired delegations with `realm` whose latest generation was
  // issued before `issued_before`, oldest first.
  virtual std::vector<DelegationRecord> due_for_rotation(std::string_view realm, Timestamp issued_before, Timestamp now,
                                                         std::size_t limit) = 0;
  // Issues the next generation within the active delegation (same realm and
  // host, durable like a DLR) and queues its KPR; earlier pushes not yet
  // taken are superseded. nullopt: no such subscriber, no active delegation,
  // or not the expected one any more.
  virtual std::optional<KeyPushRecord> issue_rotation(const RotationRequest& request) = 0;

  // Revocations due at `now`, each claimed until `lease_until` so that no
  // other poller sends it meanwhile.
  virtual std::vector<RevocationRecord> claim_due_revocations(Timestamp now, Timestamp lease_until,
                                                              std::size_t limit) = 0;
  virtual void revocation_delivered(std::int64_t id, Timestamp now) = 0;
  virtual void revocation_failed(std::int64_t id, std::string_view error, Timestamp next_attempt, Timestamp now) = 0;
  virtual void revocation_abandoned(std::int64_t id, std::string_view error, Timestamp now) = 0;
  // The subscriber's latest revocations, newest first.
  virtual std::vector<RevocationRecord> revocations(std::string_view nai, std::size_t limit) = 0;

  // Key pushes due at `now` (state Sending), claimed like revocations.
  virtual std::vector<KeyPushRecord> claim_due_key_pushes(Timestamp now, Timestamp lease_until, std::size_t limit) = 0;
  // KPA 2001: Pending.
  virtual void key_push_acknowledged(std::int64_t id, Timestamp now) = 0;
  // KPA 5401: Gone; ends the delegation unless it changed since the push.
  // true when it ended the delegation.
  virtual bool key_push_gone(std::int64_t id, std::string_view error, Timestamp now) = 0;
  // To be sent again at `next_attempt`.
  virtual void key_push_failed(std::int64_t id, std::string_view error, Timestamp next_attempt, Timestamp now) = 0;
  // Failed, Superseded or Expired.
  virtual void key_push_finished(std::int64_t id, KeyPushState state, std::string_view error, Timestamp now) = 0;
  // The subscriber's latest pushes, newest first.
  virtual std::vector<KeyPushRecord> key_pushes(std::string_view nai, std::size_t limit) = 0;

  // KUR. Recorded once per (subscriber, generation, status). UPDATED makes
  // that generation the one the mobile holds (never lowering it) and marks
  // its push Updated; REJECTED_BY_MN and ABANDONED mark it Rejected.
  virtual KeyUpdateRecording record_key_update(const KeyUpdateReport& report) = 0;
  // Newest first.
  virtual std::vector<KeyUpdateRecord> key_updates(std::string_view nai, std::size_t limit) = 0;

  // `home-aaa rotate`: queued for the daemon. nullopt: no such subscriber.
  virtual std::optional<std::int64_t> request_rotation(std::string_view nai, Timestamp now) = 0;
  // Not yet handled, oldest first.
  virtual std::vector<OperatorRequest> open_operator_requests(std::size_t limit) = 0;
  virtual void finish_operator_request(std::int64_t id, std::string_view result, Timestamp now) = 0;
  // Newest first.
  virtual std::vector<OperatorRequest> operator_requests(std::string_view nai, std::size_t limit) = 0;
};

}  // namespace roamkey::home
