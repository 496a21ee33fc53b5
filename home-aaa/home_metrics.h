#pragma once
// home-aaa's own metrics (beside the Diameter ones of common/metrics):
//
//   roamkey_dlr_queue_wait_seconds     a DLR's wait for its group commit
//   roamkey_dlr_commit_seconds         a batch's work and durable commit
//   roamkey_dlr_batch_size             DLRs per group commit
//   roamkey_dlr_queue_depth            DLRs waiting for the writer
//   roamkey_dlr_batches_total, roamkey_dlr_commit_failures_total,
//   roamkey_dlr_refused_busy_total     (answered 3004: the queue was full)
//   roamkey_outbox_depth{request="DRR"|"KPR"}          still to be delivered
//   roamkey_outbox_retries_total{request="DRR"|"KPR"}  failed attempts rescheduled

#include <atomic>
#include <cstdint>

#include "delegation_queue.h"
#include "metrics/registry.h"
#include "sqlite_subscriber_store.h"

namespace roamkey::home {

// Retries of the visited outbox, counted from its events.
struct OutboxRetries {
  std::atomic<std::uint64_t> revocations{0};
  std::atomic<std::uint64_t> key_pushes{0};
};

// The queue's histograms, to pass in DelegationQueue::Options before it exists.
DelegationQueue::Sinks dlr_sinks(metrics::Registry& registry);

void register_home_metrics(metrics::Registry& registry, const DelegationQueue& queue, SqliteSubscriberStore& store,
                           const OutboxRetries& retries);

}  // namespace roamkey::home
