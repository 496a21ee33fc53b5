// The SQLite store as a DelegationStore (issue 3): one active delegation per
// subscriber, revocations and key pushes queued durably, KURs recorded once.

#include <gtest/gtest.h>

#include "crypto/bytes.h"
#include "sqlite_subscriber_store.h"
#include "store_support.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

using crypto::Bytes;
using crypto::SecretBytes;
using test::at;

const char* const kKHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char* const kNai = "alice@home.example";

Bytes rand_of(std::uint8_t fill) {
  return Bytes(16, fill);
}

class DelegationStoreTest : public ::testing::Test {
 protected:
  DelegationStoreTest() : store_(dir_ / "home.db") {
    store_.add({kNai, SecretBytes::from_hex(kKHex), SubscriberStatus::Active, RoamingScope::everywhere()}, at(1));
  }

  DelegationIssue dlr(std::string_view realm, std::string_view host, std::int64_t now, std::uint32_t lifetime = 600,
                      std::string_view user_name = {}) {
    const auto r = rand_of(static_cast<std::uint8_t>(now));
    const auto issued = store_.record_delegation({kNai, realm, host, r, lifetime, at(now), user_name});
    EXPECT_TRUE(issued);
    return issued.value_or(DelegationIssue{});
  }

  KeyPushRecord rotate(std::int64_t now, std::uint32_t lifetime = 600) {
    const auto d = store_.delegation(kNai);
    EXPECT_TRUE(d);
    const auto r = rand_of(static_cast<std::uint8_t>(now));
    auto p = store_.issue_rotation({kNai, d->generation, r, lifetime, 4, at(now)});
    EXPECT_TRUE(p);
    return p.value_or(KeyPushRecord{});
  }

  KeyPushRecord push(std::int64_t id) {
    for (const auto& p : store_.key_pushes(kNai, 100))
      if (p.id == id) return p;
    ADD_FAILURE() << "no push " << id;
    return {};
  }

  roamkey::test::ScratchDir dir_;
  SqliteSubscriberStore store_;
};

TEST_F(DelegationStoreTest, AFirstDelegationBecomesActive) {
  const auto issued = dlr("Visited.Example", "AAA.visited.example", 100, 600, "alice@HOME.example");
  EXPECT_EQ(issued.generation, 1u);
  EXPECT_FALSE(issued.revoked);
  const auto d = store_.delegation(kNai);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->active());
  EXPECT_EQ(d->nai, kNai);
  EXPECT_EQ(d->user_name, "alice@HOME.example");
  EXPECT_EQ(d->visited_realm, "visited.example");
  EXPECT_EQ(d->visited_host, "aaa.visited.example");
  EXPECT_EQ(d->first_generation, 1u);
  EXPECT_EQ(d->generation, 1u);
  EXPECT_EQ(d->started_at, at(100));
  EXPECT_EQ(d->issued_at, at(100));
  EXPECT_EQ(d->expires_at, at(700));
  EXPECT_TRUE(store_.find_issued(kNai, 1));
  EXPECT_FALSE(store_.delegation("nobody@home.example"));
  EXPECT_FALSE(store_.record_delegation({"nobody@home.example", "v.example", "h.v.example", rand_of(1), 1, at(1)}));
}

TEST_F(DelegationStoreTest, TheSameRealmContinuesTheDelegation) {
  dlr("visited.example", "aaa.visited.example", 100);
  const auto second = dlr("visited.example", "aaa2.visited.example", 200);
  EXPECT_EQ(second.generation, 2u);
  EXPECT_FALSE(second.revoked);
  EXPECT_EQ(second.revocations_queued, 0u);
  const auto d = store_.delegation(kNai);
  EXPECT_EQ(d->first_generation, 1u);
  EXPECT_EQ(d->generation, 2u);
  EXPECT_EQ(d->visited_host, "aaa2.visited.example");
  EXPECT_EQ(d->started_at, at(100));
  EXPECT_EQ(d->issued_at, at(200));
  EXPECT_TRUE(store_.revocations(kNai, 10).empty());
}

TEST_F(DelegationStoreTest, AnotherRealmRevokesThePreviousDelegationAtEachOfItsHosts) {
  dlr("visited.example", "aaa.visited.example", 100, 600);
  dlr("visited.example", "aaa2.visited.example", 200, 3000);
  const auto third = dlr("other.example", "aaa.other.example", 300);
  EXPECT_EQ(third.generation, 3u);
  ASSERT_TRUE(third.revoked);
  EXPECT_EQ(third.revoked->visited_realm, "visited.example");
  EXPECT_EQ(third.revocations_queued, 2u);

  const auto d = store_.delegation(kNai);
  EXPECT_TRUE(d->active());
  EXPECT_EQ(d->visited_realm, "other.example");
  EXPECT_EQ(d->first_generation, 3u);
  EXPECT_EQ(d->started_at, at(300));

  auto revs = store_.revocations(kNai, 10);
  ASSERT_EQ(revs.size(), 2u);
  std::sort(revs.begin(), revs.end(), [](auto& a, auto& b) { return a.visited_host < b.visited_host; });
  for (const auto& r : revs) {
    EXPECT_EQ(r.state, RevocationState::Pending);
    EXPECT_EQ(r.cause, RevocationCause::NewDelegation);
    EXPECT_EQ(r.visited_realm, "visited.example");
    EXPECT_EQ(r.generation, 2u);  // the revoked delegation's latest: newer ones survive
    EXPECT_EQ(r.user_name, kNai);
    EXPECT_EQ(r.attempts, 0u);
    EXPECT_EQ(r.next_attempt_at, at(300));
    // A day at least, twice the longest revoked lifetime (3000 s) otherwise.
    EXPECT_EQ(r.give_up_at, at(300 + 24 * 3600));
  }
  EXPECT_EQ(revs[0].visited_host, "aaa.visited.example");
  EXPECT_EQ(revs[1].visited_host, "aaa2.visited.example");
}

TEST_F(DelegationStoreTest, LongLifetimesExtendThePatienceOfARevocation) {
  dlr("visited.example", "aaa.visited.example", 100, 100000);
  ASSERT_TRUE(store_.revoke(kNai, RevocationCause::Administrative, at(200)));
  EXPECT_EQ(store_.revocations(kNai, 1).at(0).give_up_at, at(200 + 200000));
}

TEST_F(DelegationStoreTest, OperatorRevocation) {
  auto none = store_.revoke(kNai, RevocationCause::Administrative, at(50));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->revoked);
  EXPECT_FALSE(store_.revoke("nobody@home.example", RevocationCause::Administrative, at(50)));

  dlr("visited.example", "aaa.visited.example", 100);
  const auto out = store_.revoke(kNai, RevocationCause::KeyCompromised, at(150));
  ASSERT_TRUE(out && out->revoked);
  EXPECT_EQ(out->revocations_queued, 1u);
  const auto d = store_.delegation(kNai);
  EXPECT_FALSE(d->active());
  EXPECT_EQ(d->ended_at, at(150));
  EXPECT_NE(d->end_reason.find("KEY_COMPROMISED"), std::string::npos);
  EXPECT_EQ(store_.revocations(kNai, 10).at(0).cause, RevocationCause::KeyCompromised);

  // Revoking again queues nothing; a new DLR starts a new delegation.
  EXPECT_FALSE(store_.revoke(kNai, RevocationCause::Administrative, at(160))->revoked);
  const auto again = dlr("visited.example", "aaa.visited.example", 200);
  EXPECT_FALSE(again.revoked);
  EXPECT_TRUE(store_.delegation(kNai)->active());
  EXPECT_EQ(store_.delegation(kNai)->first_generation, 2u);
  EXPECT_EQ(store_.revocations(kNai, 10).size(), 1u);
}

TEST_F(DelegationStoreTest, BarringRevokesUnbarringDoesNot) {
  dlr("visited.example", "aaa.visited.example", 100);
  EXPECT_TRUE(store_.set_status(kNai, SubscriberStatus::Barred, at(110)));
  EXPECT_FALSE(store_.delegation(kNai)->active());
  const auto revs = store_.revocations(kNai, 10);
  ASSERT_EQ(revs.size(), 1u);
  EXPECT_EQ(revs[0].cause, RevocationCause::SubscriptionWithdrawn);
  EXPECT_TRUE(store_.set_status(kNai, SubscriberStatus::Active, at(120)));
  EXPECT_TRUE(store_.set_status(kNai, SubscriberStatus::Barred, at(130)));
  EXPECT_EQ(store_.revocations(kNai, 10).size(), 1u);
}

TEST_F(DelegationStoreTest, RemovalRevokesAndTheRevocationOutlivesTheSubscriber) {
  dlr("visited.example", "aaa.visited.example", 100, 600, "Alice@home.example");
  EXPECT_TRUE(store_.remove(kNai, at(110)));
  const auto revs = store_.revocations(kNai, 10);
  ASSERT_EQ(revs.size(), 1u);
  EXPECT_EQ(revs[0].nai, kNai);
  EXPECT_EQ(revs[0].user_name, "Alice@home.example");
  EXPECT_EQ(revs[0].cause, RevocationCause::SubscriptionWithdrawn);
  EXPECT_EQ(store_.claim_due_revocations(at(110), at(200), 10).size(), 1u);
}

TEST_F(DelegationStoreTest, ARoamingChangeRevokesOnlyWhenItExcludesTheRealm) {
  dlr("visited.example", "aaa.visited.example", 100);
  EXPECT_TRUE(store_.set_roaming(kNai, {false, {"visited.example", "other.example"}}, at(110)));
  EXPECT_TRUE(store_.delegation(kNai)->active());
  EXPECT_TRUE(store_.set_roaming(kNai, {false, {"other.example"}}, at(120)));
  EXPECT_FALSE(store_.delegation(kNai)->active());
  EXPECT_EQ(store_.revocations(kNai, 10).at(0).cause, RevocationCause::SubscriptionWithdrawn);
}

TEST_F(DelegationStoreTest, RevocationsAreClaimedRetriedAndFinished) {
  dlr("visited.example", "aaa.visited.example", 100);
  store_.revoke(kNai, RevocationCause::Administrative, at(100));
  EXPECT_TRUE(store_.claim_due_revocations(at(99), at(120), 10).empty());

  auto claimed = store_.claim_due_revocations(at(100), at(115), 10);
  ASSERT_EQ(claimed.size(), 1u);
  const auto id = claimed[0].id;
  // Leased: nobody else sends it until the lease ends.
  EXPECT_TRUE(store_.claim_due_revocations(at(110), at(125), 10).empty());
  EXPECT_EQ(store_.claim_due_revocations(at(115), at(130), 10).size(), 1u);

  store_.revocation_failed(id, "3002 DIAMETER_UNABLE_TO_DELIVER", at(140), at(116));
  auto r = store_.revocations(kNai, 1).at(0);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_EQ(r.last_error, "3002 DIAMETER_UNABLE_TO_DELIVER");
  EXPECT_EQ(r.next_attempt_at, at(140));
  EXPECT_EQ(r.state, RevocationState::Pending);
  EXPECT_TRUE(store_.claim_due_revocations(at(139), at(150), 10).empty());
  EXPECT_EQ(store_.claim_due_revocations(at(140), at(155), 10).size(), 1u);

  store_.revocation_delivered(id, at(141));
  r = store_.revocations(kNai, 1).at(0);
  EXPECT_EQ(r.state, RevocationState::Delivered);
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_EQ(r.finished_at, at(141));
  EXPECT_TRUE(r.last_error.empty());
  EXPECT_TRUE(store_.claim_due_revocations(at(1000), at(1010), 10).empty());
  // A late duplicate outcome changes nothing.
  store_.revocation_failed(id, "late", at(2000), at(142));
  EXPECT_EQ(store_.revocations(kNai, 1).at(0).state, RevocationState::Delivered);
}

TEST_F(DelegationStoreTest, AbandonedRevocationKeepsItsLastError) {
  dlr("visited.example", "aaa.visited.example", 100);
  store_.revoke(kNai, RevocationCause::Administrative, at(100));
  const auto id = store_.claim_due_revocations(at(100), at(110), 10).at(0).id;
  store_.revocation_failed(id, "timed out", at(120), at(110));
  store_.revocation_abandoned(id, "", at(130));
  const auto r = store_.revocations(kNai, 1).at(0);
  EXPECT_EQ(r.state, RevocationState::Abandoned);
  EXPECT_EQ(r.last_error, "timed out");
  EXPECT_TRUE(store_.claim_due_revocations(at(1000), at(1010), 10).empty());
}

TEST_F(DelegationStoreTest, DueForRotation) {
  dlr("visited.example", "aaa.visited.example", 100, 600);
  EXPECT_TRUE(store_.due_for_rotation("visited.example", at(99), at(150), 10).empty());
  auto due = store_.due_for_rotation("VISITED.example", at(100), at(150), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].nai, kNai);
  EXPECT_TRUE(store_.due_for_rotation("other.example", at(100), at(150), 10).empty());
  EXPECT_TRUE(store_.due_for_rotation("visited.example", at(1000), at(700), 10).empty());  // expired
  store_.revoke(kNai, RevocationCause::Administrative, at(160));
  EXPECT_TRUE(store_.due_for_rotation("visited.example", at(1000), at(170), 10).empty());
}

TEST_F(DelegationStoreTest, RotationIssuesTheNextGenerationForTheSameHost) {
  dlr("visited.example", "aaa.visited.example", 100, 600, "alice@HOME.example");
  const auto p = rotate(200, 900);
  EXPECT_EQ(p.generation, 2u);
  EXPECT_EQ(p.nai, kNai);
  EXPECT_EQ(p.user_name, "alice@HOME.example");
  EXPECT_EQ(p.visited_realm, "visited.example");
  EXPECT_EQ(p.visited_host, "aaa.visited.example");
  EXPECT_EQ(p.rand, rand_of(200));
  EXPECT_EQ(p.lifetime, 900u);
  EXPECT_EQ(p.max_uses, 4u);
  EXPECT_EQ(p.state, KeyPushState::Sending);
  EXPECT_EQ(p.expires_at, at(1100));
  const auto v = store_.find_issued(kNai, 2);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->visited_realm, "visited.example");
  EXPECT_EQ(v->visited_host, "aaa.visited.example");
  const auto d = store_.delegation(kNai);
  EXPECT_EQ(d->generation, 2u);
  EXPECT_EQ(d->issued_at, at(200));
  EXPECT_EQ(d->first_generation, 1u);

  // Not the delegation the caller looked at any more: nothing issued.
  EXPECT_FALSE(store_.issue_rotation({kNai, 1, rand_of(9), 600, std::nullopt, at(210)}));
  EXPECT_EQ(store_.get(kNai)->last_generation, 2u);
  store_.revoke(kNai, RevocationCause::Administrative, at(220));
  EXPECT_FALSE(store_.issue_rotation({kNai, 2, rand_of(9), 600, std::nullopt, at(230)}));
  EXPECT_FALSE(store_.issue_rotation({"nobody@home.example", 0, rand_of(9), 600, std::nullopt, at(230)}));
}

TEST_F(DelegationStoreTest, OnlyTheNewestPushIsDelivered) {
  dlr("visited.example", "aaa.visited.example", 100);
  const auto first = rotate(200);
  store_.key_push_acknowledged(first.id, at(201));
  EXPECT_EQ(push(first.id).state, KeyPushState::Pending);
  const auto second = rotate(300);
  EXPECT_EQ(push(first.id).state, KeyPushState::Superseded);
  EXPECT_EQ(push(second.id).state, KeyPushState::Sending);
  // A DLR gives the visited host a fresh current vector: the push is moot.
  dlr("visited.example", "aaa.visited.example", 400);
  EXPECT_EQ(push(second.id).state, KeyPushState::Superseded);
  EXPECT_TRUE(store_.claim_due_key_pushes(at(500), at(510), 10).empty());
}

TEST_F(DelegationStoreTest, PushesAreClaimedLikeRevocations) {
  dlr("visited.example", "aaa.visited.example", 100);
  const auto p = rotate(200);
  EXPECT_EQ(store_.claim_due_key_pushes(at(200), at(215), 10).size(), 1u);
  EXPECT_TRUE(store_.claim_due_key_pushes(at(210), at(225), 10).empty());
  store_.key_push_failed(p.id, "timed out", at(230), at(216));
  auto got = push(p.id);
  EXPECT_EQ(got.attempts, 1u);
  EXPECT_EQ(got.last_error, "timed out");
  EXPECT_EQ(store_.claim_due_key_pushes(at(230), at(245), 10).size(), 1u);
  store_.key_push_finished(p.id, KeyPushState::Failed, "5004 DIAMETER_INVALID_AVP_VALUE", at(231));
  got = push(p.id);
  EXPECT_EQ(got.state, KeyPushState::Failed);
  EXPECT_EQ(got.attempts, 2u);
  EXPECT_THROW(store_.key_push_finished(p.id, KeyPushState::Pending, "", at(232)), std::invalid_argument);
}

TEST_F(DelegationStoreTest, A5401EndsTheDelegationUnlessItChangedSince) {
  dlr("visited.example", "aaa.visited.example", 100);
  const auto p = rotate(200);
  EXPECT_TRUE(store_.key_push_gone(p.id, "5401 USER_UNKNOWN", at(201)));
  EXPECT_EQ(push(p.id).state, KeyPushState::Gone);
  const auto d = store_.delegation(kNai);
  EXPECT_FALSE(d->active());
  EXPECT_NE(d->end_reason.find("5401"), std::string::npos);
  EXPECT_TRUE(store_.revocations(kNai, 10).empty());  // nothing left there to revoke

  dlr("visited.example", "aaa.visited.example", 300);
  const auto q = rotate(400);
  dlr("visited.example", "aaa.visited.example", 410);  // a fresh DLR while the KPR was in flight
  EXPECT_FALSE(store_.key_push_gone(q.id, "5401 USER_UNKNOWN", at(411)));
  EXPECT_TRUE(store_.delegation(kNai)->active());
}

TEST_F(DelegationStoreTest, KeyUpdateReportsAreRecordedOnce) {
  dlr("visited.example", "aaa.visited.example", 100);
  const auto p = rotate(200);
  store_.key_push_acknowledged(p.id, at(201));
  const KeyUpdateReport kur{kNai, "Visited.Example", "aaa.visited.example", 2, KeyUpdateStatus::Updated, at(300)};
  EXPECT_EQ(store_.record_key_update(kur), KeyUpdateRecording::Recorded);
  auto again = kur;
  again.now = at(310);
  EXPECT_EQ(store_.record_key_update(again), KeyUpdateRecording::Repeated);
  EXPECT_EQ(store_.record_key_update(again), KeyUpdateRecording::Repeated);

  const auto s = store_.get(kNai);
  EXPECT_EQ(s->mobile_generation, 2u);
  EXPECT_EQ(s->mobile_generation_at, at(300));
  EXPECT_EQ(push(p.id).state, KeyPushState::Updated);
  const auto events = store_.key_updates(kNai, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].generation, 2u);
  EXPECT_EQ(events[0].status, KeyUpdateStatus::Updated);
  EXPECT_EQ(events[0].reports, 3u);
  EXPECT_EQ(events[0].first_reported_at, at(300));
  EXPECT_EQ(events[0].last_reported_at, at(310));
  EXPECT_EQ(events[0].visited_realm, "visited.example");
}

TEST_F(DelegationStoreTest, AnOlderUpdateNeverLowersTheMobileGeneration) {
  dlr("visited.example", "aaa.visited.example", 100);
  rotate(200);
  rotate(300);
  EXPECT_EQ(store_.record_key_update({kNai, "visited.example", "h", 3, KeyUpdateStatus::Updated, at(400)}),
            KeyUpdateRecording::Recorded);
  EXPECT_EQ(store_.record_key_update({kNai, "visited.example", "h", 2, KeyUpdateStatus::Updated, at(410)}),
            KeyUpdateRecording::Recorded);
  EXPECT_EQ(store_.get(kNai)->mobile_generation, 3u);
  EXPECT_EQ(store_.get(kNai)->mobile_generation_at, at(400));
}

TEST_F(DelegationStoreTest, ARejectedUpdateKeepsTheMobileGeneration) {
  dlr("visited.example", "aaa.visited.example", 100);
  const auto p = rotate(200);
  store_.key_push_acknowledged(p.id, at(201));
  EXPECT_EQ(store_.record_key_update({kNai, "visited.example", "h", 2, KeyUpdateStatus::RejectedByMn, at(300)}),
            KeyUpdateRecording::Recorded);
  EXPECT_EQ(store_.get(kNai)->mobile_generation, 0u);
  EXPECT_EQ(push(p.id).state, KeyPushState::Rejected);
  // Another status for the same generation is another event.
  EXPECT_EQ(store_.record_key_update({kNai, "visited.example", "h", 2, KeyUpdateStatus::Abandoned, at(310)}),
            KeyUpdateRecording::Recorded);
  EXPECT_EQ(store_.key_updates(kNai, 10).size(), 2u);
}

TEST_F(DelegationStoreTest, KeyUpdateForAGenerationNotIssuedToThatRealm) {
  dlr("visited.example", "aaa.visited.example", 100);
  EXPECT_EQ(store_.record_key_update({kNai, "other.example", "h", 1, KeyUpdateStatus::Updated, at(200)}),
            KeyUpdateRecording::UnknownGeneration);
  EXPECT_EQ(store_.record_key_update({kNai, "visited.example", "h", 7, KeyUpdateStatus::Updated, at(200)}),
            KeyUpdateRecording::UnknownGeneration);
  EXPECT_EQ(
      store_.record_key_update({"nobody@home.example", "visited.example", "h", 1, KeyUpdateStatus::Updated, at(200)}),
      KeyUpdateRecording::UnknownSubscriber);
  EXPECT_TRUE(store_.key_updates(kNai, 10).empty());
  EXPECT_EQ(store_.get(kNai)->mobile_generation, 0u);
}

TEST_F(DelegationStoreTest, OperatorRequestsQueueForTheDaemon) {
  EXPECT_FALSE(store_.request_rotation("nobody@home.example", at(1)));
  const auto id = store_.request_rotation("alice@HOME.example", at(10));
  ASSERT_TRUE(id);
  auto open = store_.open_operator_requests(10);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, *id);
  EXPECT_EQ(open[0].kind, "rotate");
  EXPECT_EQ(open[0].nai, kNai);
  EXPECT_EQ(open[0].requested_at, at(10));
  store_.finish_operator_request(*id, "rotated: generation 2 queued", at(11));
  EXPECT_TRUE(store_.open_operator_requests(10).empty());
  const auto mine = store_.operator_requests(kNai, 10);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].handled_at, at(11));
  EXPECT_EQ(mine[0].result, "rotated: generation 2 queued");
}

TEST_F(DelegationStoreTest, EverythingSurvivesAReopen) {
  dlr("visited.example", "aaa.visited.example", 100);
  rotate(200);
  store_.request_rotation(kNai, at(210));
  dlr("other.example", "aaa.other.example", 300);
  SqliteSubscriberStore reopened(dir_ / "home.db");
  EXPECT_EQ(reopened.delegation(kNai)->visited_realm, "other.example");
  EXPECT_EQ(reopened.revocations(kNai, 10).size(), 1u);
  EXPECT_EQ(reopened.key_pushes(kNai, 10).size(), 1u);
  EXPECT_EQ(reopened.open_operator_requests(10).size(), 1u);
}

}  // namespace
}  // namespace roamkey::home
