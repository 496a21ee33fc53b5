// SqliteSubscriberStore as a DelegationStore: delegations, the revocation
// and key-push outboxes, key-update reports and operator requests (schema
// version 2, store_schema.cc).

#include <algorithm>
#include <limits>

#include "nai.h"
#include "sqlite_subscriber_store.h"
#include "store_time.h"

namespace roamkey::home {

namespace {

using store_time::seconds;
using store_time::timestamp;

// A revocation stays worth delivering while a revoked vector may still be in
// use at the visited host: at least a day, and twice the longest lifetime of
// the revoked vectors (a pushed vector may start its lifetime late).
constexpr std::int64_t kMinRevocationPatience = 24 * 3600;
constexpr std::int64_t kAllGenerations = std::int64_t{std::numeric_limits<std::uint32_t>::max()} + 1;

// Columns 0-11.
constexpr const char* kDelegationSelect =
    "SELECT d.user_name, d.visited_realm, d.visited_host, d.first_generation, d.generation, d.started_at, "
    "d.issued_at, d.expires_at, d.ended_at, d.end_reason, s.nai, d.subscriber_id "
    "FROM delegations d JOIN subscribers s ON s.id = d.subscriber_id ";

DelegationRecord read_delegation(sqlite::Statement& q) {
  DelegationRecord d;
  d.user_name = q.text(0);
  d.visited_realm = q.text(1);
  d.visited_host = q.text(2);
  d.first_generation = static_cast<std::uint32_t>(q.integer(3));
  d.generation = static_cast<std::uint32_t>(q.integer(4));
  d.started_at = timestamp(q.integer(5));
  d.issued_at = timestamp(q.integer(6));
  d.expires_at = timestamp(q.integer(7));
  if (!q.is_null(8)) d.ended_at = timestamp(q.integer(8));
  d.end_reason = q.text(9);
  d.nai = q.text(10);
  return d;
}

constexpr const char* kRevocationSelect =
    "SELECT id, nai, user_name, visited_realm, visited_host, cause, generation, created_at, give_up_at, "
    "next_attempt_at, attempts, last_error, state, finished_at FROM revocations ";

RevocationState revocation_state_from(const std::string& s) {
  if (s == "delivered") return RevocationState::Delivered;
  if (s == "abandoned") return RevocationState::Abandoned;
  return RevocationState::Pending;
}

RevocationRecord read_revocation(sqlite::Statement& q) {
  RevocationRecord r;
  r.id = q.integer(0);
  r.nai = q.text(1);
  r.user_name = q.text(2);
  r.visited_realm = q.text(3);
  r.visited_host = q.text(4);
  r.cause = static_cast<RevocationCause>(q.integer(5));
  if (!q.is_null(6)) r.generation = static_cast<std::uint32_t>(q.integer(6));
  r.created_at = timestamp(q.integer(7));
  r.give_up_at = timestamp(q.integer(8));
  r.next_attempt_at = timestamp(q.integer(9));
  r.attempts = static_cast<std::uint32_t>(q.integer(10));
  r.last_error = q.text(11);
  r.state = revocation_state_from(q.text(12));
  if (!q.is_null(13)) r.finished_at = timestamp(q.integer(13));
  return r;
}

constexpr const char* kPushSelect =
    "SELECT p.id, s.nai, p.user_name, p.visited_realm, p.visited_host, p.generation, v.rand, p.lifetime, "
    "p.max_uses, p.created_at, p.expires_at, p.next_attempt_at, p.attempts, p.last_error, p.state, p.finished_at "
    "FROM key_pushes p JOIN subscribers s ON s.id = p.subscriber_id "
    "JOIN issued_vectors v ON v.subscriber_id = p.subscriber_id AND v.generation = p.generation ";

KeyPushState push_state_from(const std::string& s) {
  for (auto state : {KeyPushState::Sending, KeyPushState::Pending, KeyPushState::Updated, KeyPushState::Rejected,
                     KeyPushState::Gone, KeyPushState::Failed, KeyPushState::Superseded, KeyPushState::Expired})
    if (to_string(state) == s) return state;
  return KeyPushState::Failed;
}

KeyPushRecord read_push(sqlite::Statement& q) {
  KeyPushRecord p;
  p.id = q.integer(0);
  p.nai = q.text(1);
  p.user_name = q.text(2);
  p.visited_realm = q.text(3);
  p.visited_host = q.text(4);
  p.generation = static_cast<std::uint32_t>(q.integer(5));
  p.rand = q.blob(6);
  p.lifetime = static_cast<std::uint32_t>(q.integer(7));
  if (!q.is_null(8)) p.max_uses = static_cast<std::uint32_t>(q.integer(8));
  p.created_at = timestamp(q.integer(9));
  p.expires_at = timestamp(q.integer(10));
  p.next_attempt_at = timestamp(q.integer(11));
  p.attempts = static_cast<std::uint32_t>(q.integer(12));
  p.last_error = q.text(13);
  p.state = push_state_from(q.text(14));
  if (!q.is_null(15)) p.finished_at = timestamp(q.integer(15));
  return p;
}

OperatorRequest read_request(sqlite::Statement& q) {
  OperatorRequest r;
  r.id = q.integer(0);
  r.kind = q.text(1);
  r.nai = q.text(2);
  r.requested_at = timestamp(q.integer(3));
  if (!q.is_null(4)) r.handled_at = timestamp(q.integer(4));
  r.result = q.text(5);
  return r;
}

constexpr const char* kRequestSelect = "SELECT id, kind, nai, requested_at, handled_at, result FROM operator_requests ";

std::int64_t limit_of(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, 100000));
}

}  // namespace

void SqliteSubscriberStore::supersede_pushes_locked(std::int64_t subscriber_id, std::int64_t below_generation,
                                                    Timestamp now) {
  auto q = db_.query(
      "UPDATE key_pushes SET state = 'superseded', finished_at = ?1 "
      "WHERE subscriber_id = ?2 AND generation < ?3 AND state IN ('sending', 'pending')");
  q->bind(1, seconds(now)).bind(2, subscriber_id).bind(3, below_generation).run();
}

RevocationOutcome SqliteSubscriberStore::revoke_locked(std::int64_t subscriber_id, RevocationCause cause,
                                                       std::string_view reason, Timestamp now) {
  RevocationOutcome out;
  std::string nai_key;
  {
    auto q = db_.query(std::string(kDelegationSelect) + "WHERE d.subscriber_id = ?1 AND d.ended_at IS NULL");
    q->bind(1, subscriber_id);
    if (!q->step()) return out;
    out.revoked = read_delegation(*q);
  }
  {
    auto q = db_.query("SELECT nai_key FROM subscribers WHERE id = ?1");
    q->bind(1, subscriber_id);
    if (q->step()) nai_key = q->text(0);
  }
  auto& d = *out.revoked;

  // Every host of the realm that got a vector of this delegation holds one.
  std::vector<std::string> hosts;
  std::int64_t longest_lifetime = 0;
  {
    auto q = db_.query(
        "SELECT visited_host, max(expires_at - issued_at) FROM issued_vectors "
        "WHERE subscriber_id = ?1 AND visited_realm = ?2 AND generation BETWEEN ?3 AND ?4 GROUP BY visited_host");
    q->bind(1, subscriber_id)
        .bind(2, d.visited_realm)
        .bind(3, static_cast<std::int64_t>(d.first_generation))
        .bind(4, static_cast<std::int64_t>(d.generation));
    while (q->step()) {
      hosts.push_back(q->text(0));
      longest_lifetime = std::max(longest_lifetime, q->integer(1));
    }
  }
  if (std::find(hosts.begin(), hosts.end(), d.visited_host) == hosts.end()) hosts.push_back(d.visited_host);
  const auto give_up = seconds(now) + std::max(kMinRevocationPatience, 2 * longest_lifetime);
  for (const auto& host : hosts) {
    // Key-Generation = the delegation's latest: a newer vector the same host
    // may get meanwhile (the subscriber came back) survives the DRR.
    auto q = db_.query(
        "INSERT INTO revocations (nai, nai_key, user_name, visited_realm, visited_host, cause, generation, "
        "created_at, give_up_at, next_attempt_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, 'pending')");
    q->bind(1, d.nai)
        .bind(2, nai_key)
        .bind(3, d.user_name)
        .bind(4, d.visited_realm)
        .bind(5, host)
        .bind(6, static_cast<std::int64_t>(cause))
        .bind(7, static_cast<std::int64_t>(d.generation))
        .bind(8, seconds(now))
        .bind(9, give_up)
        .run();
  }
  out.revocations_queued = hosts.size();

  d.ended_at = now;
  d.end_reason = "revoked (" + std::string(to_string(cause)) + "): " + std::string(reason);
  {
    auto q = db_.query("UPDATE delegations SET ended_at = ?1, end_reason = ?2 WHERE subscriber_id = ?3");
    q->bind(1, seconds(now)).bind(2, d.end_reason).bind(3, subscriber_id).run();
  }
  supersede_pushes_locked(subscriber_id, kAllGenerations, now);
  return out;
}

void SqliteSubscriberStore::in_one_transaction(const std::function<void()>& body) {
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  if (tx.nested()) throw std::logic_error("in_one_transaction inside another transaction");
  body();
  tx.commit();
}

std::optional<DelegationIssue> SqliteSubscriberStore::record_delegation(const IssueRequest& r) {
  if (r.rand.size() != kRandLength) throw std::invalid_argument("RAND must be 16 bytes");
  const auto key = canonical_nai(r.nai);
  if (!key) return std::nullopt;
  const auto realm = lower_ascii(r.visited_realm);
  const auto host = lower_ascii(r.visited_host);
  const std::string_view user_name = r.user_name.empty() ? r.nai : r.user_name;
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  const auto issued = issue_locked(r, *key);
  if (!issued) return std::nullopt;
  DelegationIssue out;
  out.generation = issued->generation;

  std::optional<std::string> active_realm;
  {
    auto q = db_.query("SELECT visited_realm FROM delegations WHERE subscriber_id = ?1 AND ended_at IS NULL");
    q->bind(1, issued->subscriber_id);
    if (q->step()) active_realm = q->text(0);
  }
  // protocol.md sec. 3 and issue 3: at most one active delegation; a DLR
  // from another realm revokes the previous one.
  if (active_realm && *active_realm != realm) {
    auto revoked = revoke_locked(issued->subscriber_id, RevocationCause::NewDelegation,
                                 "replaced by a delegation to " + realm, r.now);
    out.revoked = std::move(revoked.revoked);
    out.revocations_queued = revoked.revocations_queued;
  }
  // The visited host's fresh vector outranks any pushed one not yet used.
  supersede_pushes_locked(issued->subscriber_id, issued->generation, r.now);

  const auto issued_at = seconds(r.now);
  const auto expires_at = issued_at + static_cast<std::int64_t>(r.lifetime);
  if (active_realm && *active_realm == realm) {
    auto q = db_.query(
        "UPDATE delegations SET user_name = ?1, visited_host = ?2, generation = ?3, issued_at = ?4, expires_at = ?5 "
        "WHERE subscriber_id = ?6");
    q->bind(1, user_name)
        .bind(2, host)
        .bind(3, static_cast<std::int64_t>(issued->generation))
        .bind(4, issued_at)
        .bind(5, expires_at)
        .bind(6, issued->subscriber_id)
        .run();
  } else {
    auto q = db_.query(
        "INSERT INTO delegations (subscriber_id, user_name, visited_realm, visited_host, first_generation, "
        "generation, started_at, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6, ?7) "
        "ON CONFLICT (subscriber_id) DO UPDATE SET user_name = excluded.user_name, "
        "visited_realm = excluded.visited_realm, visited_host = excluded.visited_host, "
        "first_generation = excluded.first_generation, generation = excluded.generation, "
        "started_at = excluded.started_at, issued_at = excluded.issued_at, expires_at = excluded.expires_at, "
        "ended_at = NULL, end_reason = NULL");
    q->bind(1, issued->subscriber_id)
        .bind(2, user_name)
        .bind(3, realm)
        .bind(4, host)
        .bind(5, static_cast<std::int64_t>(issued->generation))
        .bind(6, issued_at)
        .bind(7, expires_at)
        .run();
  }
  tx.commit();
  return out;
}

std::optional<DelegationRecord> SqliteSubscriberStore::delegation(std::string_view nai) {
  const auto key = canonical_nai(nai);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto q = db_.query(std::string(kDelegationSelect) + "WHERE s.nai_key = ?1");
  q->bind(1, *key);
  if (!q->step()) return std::nullopt;
  return read_delegation(*q);
}

std::optional<RevocationOutcome> SqliteSubscriberStore::revoke(std::string_view nai, RevocationCause cause,
                                                               Timestamp now) {
  const auto key = canonical_nai(nai);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  const auto id = id_of(*key);
  if (!id) return std::nullopt;
  auto out = revoke_locked(*id, cause, "by the operator", now);
  tx.commit();
  return out;
}

std::vector<DelegationRecord> SqliteSubscriberStore::due_for_rotation(std::string_view realm, Timestamp issued_before,
                                                                      Timestamp now, std::size_t limit) {
  const auto r = lower_ascii(realm);
  std::vector<DelegationRecord> out;
  std::lock_guard lock(mutex_);
  auto q = db_.query(std::string(kDelegationSelect) +
                     "WHERE d.ended_at IS NULL AND d.visited_realm = ?1 AND d.issued_at <= ?2 AND d.expires_at > ?3 "
                     "AND s.status = 'active' ORDER BY d.issued_at LIMIT ?4");
  q->bind(1, r).bind(2, seconds(issued_before)).bind(3, seconds(now)).bind(4, limit_of(limit));
  while (q->step()) out.push_back(read_delegation(*q));
  return out;
}

std::optional<KeyPushRecord> SqliteSubscriberStore::issue_rotation(const RotationRequest& r) {
  if (r.rand.size() != kRandLength) throw std::invalid_argument("RAND must be 16 bytes");
  const auto key = canonical_nai(r.nai);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  std::int64_t subscriber_id = 0;
  std::string user_name, realm, host;
  {
    auto q = db_.query(
        "SELECT d.subscriber_id, d.user_name, d.visited_realm, d.visited_host, d.generation FROM delegations d "
        "JOIN subscribers s ON s.id = d.subscriber_id WHERE s.nai_key = ?1 AND d.ended_at IS NULL");
    q->bind(1, *key);
    if (!q->step() || q->integer(4) != static_cast<std::int64_t>(r.expected_generation)) return std::nullopt;
    subscriber_id = q->integer(0);
    user_name = q->text(1);
    realm = q->text(2);
    host = q->text(3);
  }
  const IssueRequest issue{r.nai, realm, host, r.rand, r.lifetime, r.now, user_name};
  const auto issued = issue_locked(issue, *key);
  if (!issued) return std::nullopt;
  supersede_pushes_locked(subscriber_id, issued->generation, r.now);
  const auto now = seconds(r.now);
  const auto expires_at = now + static_cast<std::int64_t>(r.lifetime);
  {
    auto q =
        db_.query("UPDATE delegations SET generation = ?1, issued_at = ?2, expires_at = ?3 WHERE subscriber_id = ?4");
    q->bind(1, static_cast<std::int64_t>(issued->generation))
        .bind(2, now)
        .bind(3, expires_at)
        .bind(4, subscriber_id)
        .run();
  }
  std::int64_t push_id = 0;
  {
    auto q = db_.query(
        "INSERT INTO key_pushes (subscriber_id, generation, user_name, visited_realm, visited_host, lifetime, "
        "max_uses, created_at, expires_at, next_attempt_at, state) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, 'sending') RETURNING id");
    q->bind(1, subscriber_id)
        .bind(2, static_cast<std::int64_t>(issued->generation))
        .bind(3, user_name)
        .bind(4, realm)
        .bind(5, host)
        .bind(6, static_cast<std::int64_t>(r.lifetime))
        .bind(8, now)
        .bind(9, expires_at);
    if (r.max_uses) q->bind(7, static_cast<std::int64_t>(*r.max_uses));  // unbound: NULL, unlimited
    if (!q->step()) db_.fail("cannot queue the key push", SQLITE_ERROR);
    push_id = q->integer(0);
  }
  std::optional<KeyPushRecord> out;
  {
    auto q = db_.query(std::string(kPushSelect) + "WHERE p.id = ?1");
    q->bind(1, push_id);
    if (q->step()) out = read_push(*q);
  }
  tx.commit();
  return out;
}

std::vector<RevocationRecord> SqliteSubscriberStore::claim_due_revocations(Timestamp now, Timestamp lease_until,
                                                                           std::size_t limit) {
  std::vector<RevocationRecord> out;
  std::lock_guard lock(mutex_);
  {
    // A cheap read first: most polls find nothing and need no write lock.
    auto q = db_.query("SELECT EXISTS (SELECT 1 FROM revocations WHERE state = 'pending' AND next_attempt_at <= ?1)");
    q->bind(1, seconds(now));
    if (!q->step() || q->integer(0) == 0) return out;
  }
  sqlite::Transaction tx(db_);
  {
    auto q = db_.query(std::string(kRevocationSelect) +
                       "WHERE state = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2");
    q->bind(1, seconds(now)).bind(2, limit_of(limit));
    while (q->step()) out.push_back(read_revocation(*q));
  }
  for (auto& r : out) {
    auto q = db_.query("UPDATE revocations SET next_attempt_at = ?1 WHERE id = ?2");
    q->bind(1, seconds(lease_until)).bind(2, r.id).run();
  }
  tx.commit();
  return out;
}

void SqliteSubscriberStore::revocation_delivered(std::int64_t id, Timestamp now) {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "UPDATE revocations SET state = 'delivered', attempts = attempts + 1, finished_at = ?1, last_error = NULL "
      "WHERE id = ?2 AND state = 'pending'");
  q->bind(1, seconds(now)).bind(2, id).run();
}

void SqliteSubscriberStore::revocation_failed(std::int64_t id, std::string_view error, Timestamp next_attempt,
                                              Timestamp) {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "UPDATE revocations SET attempts = attempts + 1, last_error = ?1, next_attempt_at = ?2 "
      "WHERE id = ?3 AND state = 'pending'");
  q->bind(1, error).bind(2, seconds(next_attempt)).bind(3, id).run();
}

void SqliteSubscriberStore::revocation_abandoned(std::int64_t id, std::string_view error, Timestamp now) {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "UPDATE revocations SET state = 'abandoned', finished_at = ?1, "
      "last_error = CASE WHEN ?2 = '' THEN last_error ELSE ?2 END WHERE id = ?3 AND state = 'pending'");
  q->bind(1, seconds(now)).bind(2, error).bind(3, id).run();
}

std::vector<RevocationRecord> SqliteSubscriberStore::revocations(std::string_view nai, std::size_t limit) {
  std::vector<RevocationRecord> out;
  const auto key = canonical_nai(nai);
  if (!key) return out;
  std::lock_guard lock(mutex_);
  auto q = db_.query(std::string(kRevocationSelect) + "WHERE nai_key = ?1 ORDER BY id DESC LIMIT ?2");
  q->bind(1, *key).bind(2, limit_of(limit));
  while (q->step()) out.push_back(read_revocation(*q));
  return out;
}

std::vector<KeyPushRecord> SqliteSubscriberStore::claim_due_key_pushes(Timestamp now, Timestamp lease_until,
                                                                       std::size_t limit) {
  std::vector<KeyPushRecord> out;
  std::lock_guard lock(mutex_);
  {
    auto q = db_.query("SELECT EXISTS (SELECT 1 FROM key_pushes WHERE state = 'sending' AND next_attempt_at <= ?1)");
    q->bind(1, seconds(now));
    if (!q->step() || q->integer(0) == 0) return out;
  }
  sqlite::Transaction tx(db_);
  {
    auto q =
        db_.query(std::string(kPushSelect) +
                  "WHERE p.state = 'sending' AND p.next_attempt_at <= ?1 ORDER BY p.next_attempt_at, p.id LIMIT ?2");
    q->bind(1, seconds(now)).bind(2, limit_of(limit));
    while (q->step()) out.push_back(read_push(*q));
  }
  for (auto& p : out) {
    auto q = db_.query("UPDATE key_pushes SET next_attempt_at = ?1 WHERE id = ?2");
    q->bind(1, seconds(lease_until)).bind(2, p.id).run();
  }
  tx.commit();
  return out;
}

void SqliteSubscriberStore::key_push_acknowledged(std::int64_t id, Timestamp now) {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "UPDATE key_pushes SET state = 'pending', attempts = attempts + 1, last_error = NULL, finished_at = ?1 "
      "WHERE id = ?2 AND state = 'sending'");
  q->bind(1, seconds(now)).bind(2, id).run();
}

bool SqliteSubscriberStore::key_push_gone(std::int64_t id, std::string_view error, Timestamp now) {
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  std::int64_t subscriber_id = 0, generation = 0;
  std::string host;
  {
    auto q =
        db_.query("SELECT subscriber_id, generation, visited_host FROM key_pushes WHERE id = ?1 AND state = 'sending'");
    q->bind(1, id);
    if (!q->step()) return false;
    subscriber_id = q->integer(0);
    generation = q->integer(1);
    host = q->text(2);
  }
  {
    auto q = db_.query(
        "UPDATE key_pushes SET state = 'gone', attempts = attempts + 1, last_error = ?1, finished_at = ?2 WHERE id = "
        "?3");
    q->bind(1, error).bind(2, seconds(now)).bind(3, id).run();
  }
  // Only if nothing was issued since the push: a later DLR gave the visited
  // host a fresh delegation.
  {
    auto q = db_.query(
        "UPDATE delegations SET ended_at = ?1, end_reason = 'gone: the visited host holds no delegation (KPA 5401)' "
        "WHERE subscriber_id = ?2 AND ended_at IS NULL AND generation = ?3 AND visited_host = ?4");
    q->bind(1, seconds(now)).bind(2, subscriber_id).bind(3, generation).bind(4, host).run();
  }
  const bool ended = sqlite3_changes(db_.handle()) > 0;
  tx.commit();
  return ended;
}

void SqliteSubscriberStore::key_push_failed(std::int64_t id, std::string_view error, Timestamp next_attempt,
                                            Timestamp) {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "UPDATE key_pushes SET attempts = attempts + 1, last_error = ?1, next_attempt_at = ?2 "
      "WHERE id = ?3 AND state = 'sending'");
  q->bind(1, error).bind(2, seconds(next_attempt)).bind(3, id).run();
}

void SqliteSubscriberStore::key_push_finished(std::int64_t id, KeyPushState state, std::string_view error,
                                              Timestamp now) {
  if (state != KeyPushState::Failed && state != KeyPushState::Superseded && state != KeyPushState::Expired)
    throw std::invalid_argument("key_push_finished: not a final outbox state");
  const auto text = to_string(state);
  // Failed is the outcome of an attempt; the other two end it unsent.
  const std::int64_t attempted = state == KeyPushState::Failed ? 1 : 0;
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "UPDATE key_pushes SET state = ?1, attempts = attempts + ?2, finished_at = ?3, "
      "last_error = CASE WHEN ?4 = '' THEN last_error ELSE ?4 END WHERE id = ?5 AND state = 'sending'");
  q->bind(1, text).bind(2, attempted).bind(3, seconds(now)).bind(4, error).bind(5, id).run();
}

std::vector<KeyPushRecord> SqliteSubscriberStore::key_pushes(std::string_view nai, std::size_t limit) {
  std::vector<KeyPushRecord> out;
  const auto key = canonical_nai(nai);
  if (!key) return out;
  std::lock_guard lock(mutex_);
  auto q = db_.query(std::string(kPushSelect) + "WHERE s.nai_key = ?1 ORDER BY p.id DESC LIMIT ?2");
  q->bind(1, *key).bind(2, limit_of(limit));
  while (q->step()) out.push_back(read_push(*q));
  return out;
}

KeyUpdateRecording SqliteSubscriberStore::record_key_update(const KeyUpdateReport& r) {
  const auto key = canonical_nai(r.nai);
  if (!key) return KeyUpdateRecording::UnknownSubscriber;
  const auto realm = lower_ascii(r.visited_realm);
  const auto host = lower_ascii(r.visited_host);
  const auto generation = static_cast<std::int64_t>(r.generation);
  const auto status = static_cast<std::int64_t>(r.status);
  const auto now = seconds(r.now);
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  const auto id = id_of(*key);
  if (!id) return KeyUpdateRecording::UnknownSubscriber;
  {
    auto q = db_.query("SELECT visited_realm FROM issued_vectors WHERE subscriber_id = ?1 AND generation = ?2");
    q->bind(1, *id).bind(2, generation);
    if (!q->step() || q->text(0) != realm) return KeyUpdateRecording::UnknownGeneration;
  }
  {
    // A retried KUR (the visited domain never saw our KUA) changes nothing
    // but the count.
    auto q = db_.query(
        "UPDATE key_update_reports SET reports = reports + 1, last_reported_at = ?1 "
        "WHERE subscriber_id = ?2 AND generation = ?3 AND status = ?4");
    q->bind(1, now).bind(2, *id).bind(3, generation).bind(4, status).run();
  }
  if (sqlite3_changes(db_.handle()) > 0) {
    tx.commit();
    return KeyUpdateRecording::Repeated;
  }
  {
    auto q = db_.query(
        "INSERT INTO key_update_reports (subscriber_id, generation, status, visited_realm, visited_host, "
        "first_reported_at, last_reported_at, reports) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1)");
    q->bind(1, *id).bind(2, generation).bind(3, status).bind(4, realm).bind(5, host).bind(6, now).run();
  }
  if (r.status == KeyUpdateStatus::Updated) {
    {
      // The mobile never goes back to a lower generation (sec. 5 step 2):
      // a late report of an older update does not lower it.
      auto q = db_.query(
          "UPDATE subscribers SET mobile_generation = ?1, mobile_generation_at = ?2 "
          "WHERE id = ?3 AND mobile_generation < ?1");
      q->bind(1, generation).bind(2, now).bind(3, *id).run();
    }
    {
      auto q = db_.query(
          "UPDATE key_pushes SET state = 'updated', finished_at = coalesce(finished_at, ?1) "
          "WHERE subscriber_id = ?2 AND generation = ?3 AND state IN ('sending', 'pending')");
      q->bind(1, now).bind(2, *id).bind(3, generation).run();
    }
    supersede_pushes_locked(*id, generation, r.now);
  } else {
    auto q = db_.query(
        "UPDATE key_pushes SET state = 'rejected', finished_at = coalesce(finished_at, ?1) "
        "WHERE subscriber_id = ?2 AND generation = ?3 AND state IN ('sending', 'pending')");
    q->bind(1, now).bind(2, *id).bind(3, generation).run();
  }
  tx.commit();
  return KeyUpdateRecording::Recorded;
}

std::vector<KeyUpdateRecord> SqliteSubscriberStore::key_updates(std::string_view nai, std::size_t limit) {
  std::vector<KeyUpdateRecord> out;
  const auto key = canonical_nai(nai);
  if (!key) return out;
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "SELECT k.generation, k.status, k.visited_realm, k.visited_host, k.first_reported_at, k.last_reported_at, "
      "k.reports FROM key_update_reports k JOIN subscribers s ON s.id = k.subscriber_id WHERE s.nai_key = ?1 "
      "ORDER BY k.first_reported_at DESC, k.generation DESC, k.status DESC LIMIT ?2");
  q->bind(1, *key).bind(2, limit_of(limit));
  while (q->step()) {
    KeyUpdateRecord k;
    k.generation = static_cast<std::uint32_t>(q->integer(0));
    k.status = static_cast<KeyUpdateStatus>(q->integer(1));
    k.visited_realm = q->text(2);
    k.visited_host = q->text(3);
    k.first_reported_at = timestamp(q->integer(4));
    k.last_reported_at = timestamp(q->integer(5));
    k.reports = static_cast<std::uint32_t>(q->integer(6));
    out.push_back(std::move(k));
  }
  return out;
}

std::optional<std::int64_t> SqliteSubscriberStore::request_rotation(std::string_view nai, Timestamp now) {
  const auto key = canonical_nai(nai);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  std::string provisioned;
  {
    auto q = db_.query("SELECT nai FROM subscribers WHERE nai_key = ?1");
    q->bind(1, *key);
    if (!q->step()) return std::nullopt;
    provisioned = q->text(0);
  }
  std::int64_t id = 0;
  {
    auto q = db_.query(
        "INSERT INTO operator_requests (kind, nai, nai_key, requested_at) VALUES ('rotate', ?1, ?2, ?3) RETURNING id");
    q->bind(1, provisioned).bind(2, *key).bind(3, seconds(now));
    if (!q->step()) db_.fail("cannot queue the request", SQLITE_ERROR);
    id = q->integer(0);
  }
  tx.commit();
  return id;
}

std::vector<OperatorRequest> SqliteSubscriberStore::open_operator_requests(std::size_t limit) {
  std::vector<OperatorRequest> out;
  std::lock_guard lock(mutex_);
  auto q = db_.query(std::string(kRequestSelect) + "WHERE handled_at IS NULL ORDER BY id LIMIT ?1");
  q->bind(1, limit_of(limit));
  while (q->step()) out.push_back(read_request(*q));
  return out;
}

void SqliteSubscriberStore::finish_operator_request(std::int64_t id, std::string_view result, Timestamp now) {
  std::lock_guard lock(mutex_);
  auto q = db_.query("UPDATE operator_requests SET handled_at = ?1, result = ?2 WHERE id = ?3 AND handled_at IS NULL");
  q->bind(1, seconds(now)).bind(2, result).bind(3, id).run();
}

std::vector<OperatorRequest> SqliteSubscriberStore::operator_requests(std::string_view nai, std::size_t limit) {
  std::vector<OperatorRequest> out;
  const auto key = canonical_nai(nai);
  if (!key) return out;
  std::lock_guard lock(mutex_);
  auto q = db_.query(std::string(kRequestSelect) + "WHERE nai_key = ?1 ORDER BY id DESC LIMIT ?2");
  q->bind(1, *key).bind(2, limit_of(limit));
  while (q->step()) out.push_back(read_request(*q));
  return out;
}

}  // namespace roamkey::home
