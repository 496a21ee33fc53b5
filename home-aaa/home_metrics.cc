#include "home_metrics.h"

namespace roamkey::home {

using metrics::Kind;
using metrics::Sample;

DelegationQueue::Sinks dlr_sinks(metrics::Registry& registry) {
  DelegationQueue::Sinks s;
  s.queue_wait = &registry.histogram("roamkey_dlr_queue_wait_seconds",
                                     "Time a DLR waited in the group-commit queue before its batch began",
                                     metrics::latency_buckets());
  s.commit = &registry.histogram("roamkey_dlr_commit_seconds",
                                 "Time a group-commit batch took: every DLR's work and the durable commit",
                                 metrics::latency_buckets());
  s.batch_size =
      &registry.histogram("roamkey_dlr_batch_size", "DLRs per group-commit batch", {1, 2, 4, 8, 16, 32, 64, 128, 256});
  return s;
}

void register_home_metrics(metrics::Registry& registry, const DelegationQueue& queue, SqliteSubscriberStore& store,
                           const OutboxRetries& retries) {
  const auto* q = &queue;
  registry.pull("roamkey_dlr_queue_depth", "DLRs waiting for the group-commit writer", Kind::Gauge,
                [q] { return double(q->queued()); });
  registry.pull("roamkey_dlr_batches_total", "Group-commit batches", Kind::Counter,
                [q] { return double(q->stats().batches); });
  registry.pull("roamkey_dlr_commit_failures_total", "Group commits that failed (their DLRs answered 5012)",
                Kind::Counter, [q] { return double(q->stats().commit_failures); });
  registry.pull("roamkey_dlr_refused_busy_total", "DLRs answered 3004 at once because the queue was full",
                Kind::Counter, [q] { return double(q->stats().refused_busy); });
  auto* s = &store;
  registry.pull("roamkey_outbox_depth", "Requests to visited hosts still to be delivered", Kind::Gauge, [s] {
    const auto d = s->outbox_depth();
    return std::vector<Sample>{{{{"request", "DRR"}}, double(d.revocations)},
                               {{{"request", "KPR"}}, double(d.key_pushes)}};
  });
  const auto* r = &retries;
  registry.pull("roamkey_outbox_retries_total", "Attempts that failed and were scheduled again", Kind::Counter, [r] {
    return std::vector<Sample>{{{{"request", "DRR"}}, double(r->revocations.load())},
                               {{{"request", "KPR"}}, double(r->key_pushes.load())}};
  });
}

}  // namespace roamkey::home
