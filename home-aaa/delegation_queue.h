#pragma once
// Group commit for DLRs (issue 4). Every DLR issues a generation that must be
// on disk before its DLA leaves (protocol.md sec. 1), and with the store in
// WAL mode with synchronous=FULL each commit costs one fsync: about 2.4 ms on
// the benchmark machine (docs/performance.md), which would cap the home at
// roughly 400 DLR/s if each DLR committed alone. Here the Diameter dispatch
// threads only queue the DLR; one writer thread takes everything queued,
// runs each DLR through DelegationService inside one store transaction
// (DelegationStore::in_one_transaction), syncs once, and only then hands each
// result back to be answered. A batch's size follows the load: one DLR when
// idle, up to max_batch under pressure.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "delegation_service.h"
#include "metrics/distribution.h"

namespace roamkey::home {

class DelegationQueue {
 public:
  using Done = std::function<void(DelegationResult)>;
  // Runs `body` inside one durable transaction; throws when the commit
  // fails (DelegationStore::in_one_transaction).
  using Transaction = std::function<void(const std::function<void()>& body)>;

  // Where the queue records what it measures; each may stay unset.
  struct Sinks {
    metrics::Distribution* queue_wait = nullptr;  // seconds a DLR waited before its batch began
    metrics::Distribution* commit = nullptr;      // seconds a batch took: service work and the durable commit
    metrics::Distribution* batch_size = nullptr;  // DLRs per batch
  };

  struct Options {
    std::size_t max_batch = 256;
    // Beyond this many waiting DLRs the home answers 3004 TOO_BUSY at once
    // (RFC 6733 sec. 7.1.3) rather than letting latency grow without bound.
    std::size_t max_queued = 8192;
    Sinks sinks;
  };

  struct Stats {
    std::uint64_t batches = 0;
    std::uint64_t requests = 0;
    std::uint64_t commit_failures = 0;
    std::uint64_t refused_busy = 0;
    std::size_t largest_batch = 0;
  };

  DelegationQueue(const DelegationService& service, Transaction transaction, Options options);
  ~DelegationQueue();
  DelegationQueue(const DelegationQueue&) = delete;
  DelegationQueue& operator=(const DelegationQueue&) = delete;

  // `done` runs on the writer thread after the batch's commit, with the
  // service's result; a batch whose commit failed answers each of its DLRs
  // 5012 (nothing of it is in the store, so no generation was handed out).
  // A full queue, or one stopping, answers 3004 at once on the caller's
  // thread. `done` must not throw.
  void submit(DelegationRequest request, Done done);

  // Handles what is already queued, then joins the writer. Idempotent.
  void stop();

  Stats stats() const;
  // DLRs waiting for the writer now.
  std::size_t queued() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Item {
    DelegationRequest request;
    Done done;
    Clock::time_point queued_at;
  };
  void run();
  void handle(std::vector<Item>& batch);

  const DelegationService& service_;
  Transaction transaction_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread writer_;
};

}  // namespace roamkey::home
