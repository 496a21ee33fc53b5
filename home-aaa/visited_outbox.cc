#include "visited_outbox.h"

#include <algorithm>
#include <exception>

namespace roamkey::home {

namespace {
// The lease outlives the link's own timeout (and the Stack's one-second
// backstop) so that a request is never sent twice at once.
constexpr std::chrono::seconds kLeaseMargin{5};
}  // namespace

VisitedOutbox::VisitedOutbox(DelegationStore& store, const DelegationService& service, VisitedLink& link,
                             Options options, Clock clock, OutboxObserver observer)
    : store_(store),
      service_(service),
      link_(link),
      options_(options),
      clock_(std::move(clock)),
      observer_(std::move(observer)) {}

std::chrono::seconds VisitedOutbox::backoff(std::uint32_t attempts, std::chrono::seconds max) {
  if (attempts == 0) return std::chrono::seconds(0);
  const auto shift = std::min<std::uint32_t>(attempts - 1, 30);
  return std::min(max, std::chrono::seconds(std::int64_t{1} << shift));
}

std::size_t VisitedOutbox::in_flight() const {
  std::lock_guard lock(mutex_);
  return revocations_in_flight_.size() + pushes_in_flight_.size();
}

void VisitedOutbox::report(OutboxEvent e) const {
  if (observer_) observer_(e);
}

bool VisitedOutbox::begin(std::set<std::int64_t>& flying, std::int64_t id) {
  std::lock_guard lock(mutex_);
  return flying.insert(id).second;
}

void VisitedOutbox::end(std::set<std::int64_t>& flying, std::int64_t id) {
  std::lock_guard lock(mutex_);
  flying.erase(id);
}

void VisitedOutbox::send_due() {
  const auto now = clock_();
  const auto lease = now + options_.answer_timeout + kLeaseMargin;
  for (const auto& r : store_.claim_due_revocations(now, lease, options_.batch)) send_revocation(r, now);
  for (const auto& p : store_.claim_due_key_pushes(now, lease, options_.batch)) send_push(p, now);
}

void VisitedOutbox::send_revocation(const RevocationRecord& r, Timestamp now) {
  OutboxEvent e;
  e.id = r.id;
  e.nai = r.nai;
  e.visited_host = r.visited_host;
  e.generation = r.generation.value_or(0);
  e.cause = r.cause;
  e.attempts = r.attempts;
  if (now >= r.give_up_at) {
    e.kind = OutboxEvent::Kind::RevocationAbandoned;
    e.detail = "undelivered until the revoked vectors expired; last error: " +
               (r.last_error.empty() ? std::string("none") : r.last_error);
    store_.revocation_abandoned(r.id, "", now);
    report(std::move(e));
    return;
  }
  if (!begin(revocations_in_flight_, r.id)) return;
  e.kind = OutboxEvent::Kind::RevocationSent;
  report(e);
  link_.revoke({r.user_name, r.visited_realm, r.visited_host, r.cause, r.generation},
               [this, r](LinkResult result) { on_revocation_answer(r, result); });
}

void VisitedOutbox::on_revocation_answer(const RevocationRecord& r, const LinkResult& result) {
  end(revocations_in_flight_, r.id);
  OutboxEvent e;
  e.id = r.id;
  e.nai = r.nai;
  e.visited_host = r.visited_host;
  e.generation = r.generation.value_or(0);
  e.cause = r.cause;
  e.attempts = r.attempts + 1;
  e.detail = result.detail;
  try {
    const auto now = clock_();
    if (result.status == LinkStatus::Success) {
      e.kind = OutboxEvent::Kind::RevocationDelivered;
      store_.revocation_delivered(r.id, now);
    } else {
      // Every failure is retried: the visited domain answers DRA 2001 even
      // when it held nothing (sec. 3), so any other answer is transient or
      // needs its operator, and a revocation must not be lost meanwhile.
      const auto next = now + backoff(e.attempts, options_.max_backoff);
      if (next >= r.give_up_at) {
        e.kind = OutboxEvent::Kind::RevocationAbandoned;
        store_.revocation_abandoned(r.id, result.detail, now);
      } else {
        e.kind = OutboxEvent::Kind::RevocationRetry;
        e.next_attempt = next;
        store_.revocation_failed(r.id, result.detail, next, now);
      }
    }
  } catch (const std::exception& ex) {
    e.kind = OutboxEvent::Kind::StoreFailure;
    e.detail = std::string("cannot record the DRA: ") + ex.what();
  }
  report(std::move(e));
}

void VisitedOutbox::send_push(const KeyPushRecord& p, Timestamp now) {
  OutboxEvent e;
  e.id = p.id;
  e.nai = p.nai;
  e.visited_host = p.visited_host;
  e.generation = p.generation;
  e.attempts = p.attempts;
  if (now >= p.expires_at) {
    e.kind = OutboxEvent::Kind::PushDropped;
    e.detail = "its lifetime ended before it could be delivered";
    store_.key_push_finished(p.id, KeyPushState::Expired, e.detail, now);
    report(std::move(e));
    return;
  }
  std::optional<IssuedVector> vector;
  std::string why_not;
  try {
    vector = service_.push_vector(p, why_not);
  } catch (const std::exception& ex) {
    // K unreadable (store error): the lease brings it back; count it so that
    // the operator sees it.
    e.kind = OutboxEvent::Kind::PushRetry;
    e.attempts = p.attempts + 1;
    e.next_attempt = now + backoff(e.attempts, options_.max_backoff);
    e.detail = std::string("cannot build the vector: ") + ex.what();
    store_.key_push_failed(p.id, e.detail, *e.next_attempt, now);
    report(std::move(e));
    return;
  }
  if (!vector) {
    e.kind = OutboxEvent::Kind::PushDropped;
    e.detail = why_not;
    store_.key_push_finished(p.id, KeyPushState::Superseded, why_not, now);
    report(std::move(e));
    return;
  }
  if (!begin(pushes_in_flight_, p.id)) return;
  e.kind = OutboxEvent::Kind::PushSent;
  report(e);
  link_.push_key({p.user_name, p.visited_realm, p.visited_host, std::move(*vector)},
                 [this, p](LinkResult result) { on_push_answer(p, result); });
}

void VisitedOutbox::on_push_answer(const KeyPushRecord& p, const LinkResult& result) {
  end(pushes_in_flight_, p.id);
  OutboxEvent e;
  e.id = p.id;
  e.nai = p.nai;
  e.visited_host = p.visited_host;
  e.generation = p.generation;
  e.attempts = p.attempts + 1;
  e.detail = result.detail;
  try {
    const auto now = clock_();
    switch (result.status) {
      case LinkStatus::Success:
        e.kind = OutboxEvent::Kind::PushAcknowledged;
        store_.key_push_acknowledged(p.id, now);
        break;
      case LinkStatus::NoDelegation:
        e.kind = OutboxEvent::Kind::PushGone;
        e.delegation_ended = store_.key_push_gone(p.id, result.detail, now);
        break;
      case LinkStatus::Unreachable: {
        const auto next = now + backoff(e.attempts, options_.max_backoff);
        if (next >= p.expires_at) {
          e.kind = OutboxEvent::Kind::PushDropped;
          store_.key_push_finished(p.id, KeyPushState::Expired, result.detail, now);
        } else {
          e.kind = OutboxEvent::Kind::PushRetry;
          e.next_attempt = next;
          store_.key_push_failed(p.id, result.detail, next, now);
        }
        break;
      }
      case LinkStatus::Refused:
        // E.g. 5004 for a KEK id the visited host does not know: only its
        // operator or ours can fix that; the next rotation tries again.
        e.kind = OutboxEvent::Kind::PushFailed;
        store_.key_push_finished(p.id, KeyPushState::Failed, result.detail, now);
        break;
    }
  } catch (const std::exception& ex) {
    e.kind = OutboxEvent::Kind::StoreFailure;
    e.detail = std::string("cannot record the KPA: ") + ex.what();
  }
  report(std::move(e));
}

}  // namespace roamkey::home
