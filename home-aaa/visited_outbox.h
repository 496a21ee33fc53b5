#pragma once
// Delivers what the home owes the visited hosts: the revocations (DRR) and
// key pushes (KPR) queued in the store, by the daemon's DLR handling, the
// rotation timer or the operator CLI. The daemon calls send_due() every
// second; answers come back on Diameter threads.
//
// At least once, across restarts: a request is claimed in the store for a
// lease longer than its answer timeout and marked done only when answered.
// A revocation the visited host cannot receive now (3002, timeout) is tried
// again after 1, 2, 4 ... up to max_backoff seconds, and stays visible with
// its attempts and last error (`home-aaa delegations`), until delivered or
// until the revoked vectors are long expired anyway (give_up_at). A key
// push is tried again the same way until delivered or its lifetime ends.
//
// Thread-safe. The outbox must outlive every callback it handed to the
// link (the daemon shuts the Diameter stack down first).

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "delegation_service.h"
#include "delegation_store.h"
#include "visited_link.h"

namespace roamkey::home {

// What happened, for the daemon's log (libraries do not log).
struct OutboxEvent {
  enum class Kind {
    RevocationSent,
    RevocationDelivered,
    RevocationRetry,      // not delivered; next_attempt set
    RevocationAbandoned,  // given up
    PushSent,
    PushAcknowledged,  // KPA 2001: pending at the visited host
    PushGone,          // KPA 5401; delegation_ended tells whether that ended the delegation
    PushRetry,
    PushFailed,    // refused for good
    PushDropped,   // expired or moot before it could be delivered
    StoreFailure,  // the store could not record an outcome; the lease makes it due again
  };
  Kind kind = Kind::StoreFailure;
  std::int64_t id = 0;
  std::string nai;
  std::string visited_host;
  std::uint32_t generation = 0;                             // KPR: the pushed generation; DRR: Key-Generation (0: all)
  RevocationCause cause = RevocationCause::Administrative;  // DRR only
  std::uint32_t attempts = 0;                               // after this event
  std::optional<Timestamp> next_attempt;
  bool delegation_ended = false;
  std::string detail;
};

using OutboxObserver = std::function<void(const OutboxEvent&)>;

class VisitedOutbox {
 public:
  struct Options {
    // The link's answer timeout; the store lease is this plus a margin.
    std::chrono::seconds answer_timeout{10};
    std::chrono::seconds max_backoff{60};
    std::size_t batch = 100;  // per poll and kind
  };

  VisitedOutbox(DelegationStore& store, const DelegationService& service, VisitedLink& link, Options options,
                Clock clock = system_now, OutboxObserver observer = {});

  // Sends every revocation and key push due now. Never waits for an answer.
  void send_due();
  std::size_t in_flight() const;

  // Delay before attempt `attempts` + 1 after `attempts` failures:
  // 1 s, 2 s, 4 s ... capped at `max`.
  static std::chrono::seconds backoff(std::uint32_t attempts, std::chrono::seconds max);

 private:
  void send_revocation(const RevocationRecord& r, Timestamp now);
  void send_push(const KeyPushRecord& p, Timestamp now);
  void on_revocation_answer(const RevocationRecord& r, const LinkResult& result);
  void on_push_answer(const KeyPushRecord& p, const LinkResult& result);
  void report(OutboxEvent e) const;
  bool begin(std::set<std::int64_t>& flying, std::int64_t id);
  void end(std::set<std::int64_t>& flying, std::int64_t id);

  DelegationStore& store_;
  const DelegationService& service_;
  VisitedLink& link_;
  Options options_;
  Clock clock_;
  OutboxObserver observer_;
  mutable std::mutex mutex_;
  std::set<std::int64_t> revocations_in_flight_;
  std::set<std::int64_t> pushes_in_flight_;
};

}  // namespace roamkey::home
