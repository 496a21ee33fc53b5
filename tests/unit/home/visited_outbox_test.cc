// The outbox of DRRs and KPRs (issue 3), over a scripted link: retries with
// backoff, visibility of attempts and errors, at-least-once across restarts.

#include "visited_outbox.h"

#include <gtest/gtest.h>

#include <deque>

#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "sqlite_subscriber_store.h"
#include "store_support.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

using crypto::SecretBytes;
using test::at;

const char* const kK = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char* const kNai = "alice@home.example";
const char* const kVisitedHost = "aaa.visited.example";
const char* const kOtherHost = "aaa.other.example";

// Holds every request until the test answers it.
class FakeLink final : public VisitedLink {
 public:
  struct Sent {
    std::optional<KeyPushMessage> push;
    std::optional<RevocationMessage> revocation;
    LinkCallback done;
  };
  void push_key(KeyPushMessage m, LinkCallback done) override { sent.push_back({std::move(m), {}, std::move(done)}); }
  void revoke(RevocationMessage m, LinkCallback done) override { sent.push_back({{}, std::move(m), std::move(done)}); }
  // Answers the oldest outstanding request.
  void answer(LinkStatus status, std::string detail = "") {
    ASSERT_FALSE(sent.empty());
    auto s = std::move(sent.front());
    sent.pop_front();
    s.done({status, std::move(detail)});
  }
  std::deque<Sent> sent;
};

class OutboxTest : public ::testing::Test {
 protected:
  OutboxTest()
      : store_(dir_ / "home.db"),
        service_(store_, store_, DelegationPolicy{600, std::nullopt, 0},
                 RoamingPartners({RoamingPartner{"visited.example", {kVisitedHost}},
                                  RoamingPartner{"other.example", {kOtherHost}}}),
                 random_, [this] { return now_; }),
        outbox_(
            store_, service_, link_, {std::chrono::seconds(10), std::chrono::seconds(60), 100}, [this] { return now_; },
            [this](const OutboxEvent& e) { events_.push_back(e); }) {
    store_.add({kNai, SecretBytes::from_hex(kK), SubscriberStatus::Active, RoamingScope::everywhere()}, at(1));
  }

  void delegate(const std::string& host = kVisitedHost, const std::string& realm = "visited.example") {
    ASSERT_TRUE(service_.delegate({kNai, host, realm}).outcome.is_success());
  }

  RevocationRecord revocation() { return store_.revocations(kNai, 1).at(0); }
  KeyPushRecord push() { return store_.key_pushes(kNai, 1).at(0); }
  OutboxEvent::Kind last_event() const {
    return events_.empty() ? OutboxEvent::Kind::StoreFailure : events_.back().kind;
  }

  Timestamp now_ = at(1000);
  roamkey::test::ScratchDir dir_;
  SqliteSubscriberStore store_;
  crypto::SystemRandom random_;
  DelegationService service_;
  FakeLink link_;
  VisitedOutbox outbox_;
  std::vector<OutboxEvent> events_;
};

TEST(Backoff, DoublesUpToTheCap) {
  const auto max = std::chrono::seconds(60);
  EXPECT_EQ(VisitedOutbox::backoff(1, max).count(), 1);
  EXPECT_EQ(VisitedOutbox::backoff(2, max).count(), 2);
  EXPECT_EQ(VisitedOutbox::backoff(3, max).count(), 4);
  EXPECT_EQ(VisitedOutbox::backoff(6, max).count(), 32);
  EXPECT_EQ(VisitedOutbox::backoff(7, max).count(), 60);
  EXPECT_EQ(VisitedOutbox::backoff(1000, max).count(), 60);
}

TEST_F(OutboxTest, ARevocationIsSentToTheHostHoldingTheDelegation) {
  delegate();
  delegate(kOtherHost, "other.example");  // revokes visited.example
  outbox_.send_due();
  ASSERT_EQ(link_.sent.size(), 1u);
  const auto& m = *link_.sent.front().revocation;
  EXPECT_EQ(m.user_name, kNai);
  EXPECT_EQ(m.visited_realm, "visited.example");
  EXPECT_EQ(m.visited_host, kVisitedHost);
  EXPECT_EQ(m.cause, RevocationCause::NewDelegation);
  EXPECT_EQ(m.generation, 1u);
  EXPECT_EQ(last_event(), OutboxEvent::Kind::RevocationSent);
  EXPECT_EQ(outbox_.in_flight(), 1u);

  // In flight: the next poll does not send it again.
  now_ = at(1001);
  outbox_.send_due();
  EXPECT_EQ(link_.sent.size(), 1u);

  link_.answer(LinkStatus::Success, "2001");
  EXPECT_EQ(last_event(), OutboxEvent::Kind::RevocationDelivered);
  EXPECT_EQ(revocation().state, RevocationState::Delivered);
  EXPECT_EQ(revocation().attempts, 1u);
  EXPECT_EQ(outbox_.in_flight(), 0u);
  now_ = at(2000);
  outbox_.send_due();
  EXPECT_TRUE(link_.sent.empty());
}

TEST_F(OutboxTest, AnUnreachableHostIsRetriedWithBackoffAndStaysVisible) {
  delegate();
  store_.revoke(kNai, RevocationCause::Administrative, now_);
  const std::int64_t expected_delays[] = {1, 2, 4, 8, 16, 32, 60, 60};
  for (const auto delay : expected_delays) {
    outbox_.send_due();
    ASSERT_EQ(link_.sent.size(), 1u);
    link_.answer(LinkStatus::Unreachable, "3002 DIAMETER_UNABLE_TO_DELIVER: No suitable candidate");
    EXPECT_EQ(last_event(), OutboxEvent::Kind::RevocationRetry);
    const auto r = revocation();
    EXPECT_EQ(r.state, RevocationState::Pending);
    EXPECT_EQ(r.last_error, "3002 DIAMETER_UNABLE_TO_DELIVER: No suitable candidate");
    EXPECT_EQ(r.next_attempt_at, now_ + std::chrono::seconds(delay));
    now_ = now_ + std::chrono::seconds(delay - 1);
    outbox_.send_due();
    EXPECT_TRUE(link_.sent.empty()) << "sent before its backoff ended";
    now_ = now_ + std::chrono::seconds(1);
  }
  EXPECT_EQ(revocation().attempts, 8u);
  outbox_.send_due();
  link_.answer(LinkStatus::Success);
  EXPECT_EQ(revocation().state, RevocationState::Delivered);
  EXPECT_EQ(revocation().attempts, 9u);
}

TEST_F(OutboxTest, EveryFailureOfARevocationIsRetried) {
  delegate();
  store_.revoke(kNai, RevocationCause::Administrative, now_);
  outbox_.send_due();
  link_.answer(LinkStatus::Refused, "5012 DIAMETER_UNABLE_TO_COMPLY");
  EXPECT_EQ(revocation().state, RevocationState::Pending);
  EXPECT_EQ(revocation().last_error, "5012 DIAMETER_UNABLE_TO_COMPLY");
}

TEST_F(OutboxTest, ARevocationIsAbandonedOnceTheRevokedVectorsAreLongExpired) {
  delegate();
  store_.revoke(kNai, RevocationCause::Administrative, now_);
  const auto give_up = revocation().give_up_at;
  outbox_.send_due();
  link_.answer(LinkStatus::Unreachable, "timed out");
  now_ = give_up;
  outbox_.send_due();
  EXPECT_TRUE(link_.sent.empty());
  EXPECT_EQ(last_event(), OutboxEvent::Kind::RevocationAbandoned);
  EXPECT_EQ(revocation().state, RevocationState::Abandoned);
  EXPECT_EQ(revocation().last_error, "timed out");
}

TEST_F(OutboxTest, ARevocationSurvivesARestartWhileInFlight) {
  delegate();
  store_.revoke(kNai, RevocationCause::Administrative, now_);
  outbox_.send_due();
  ASSERT_EQ(link_.sent.size(), 1u);
  // The daemon dies before the DRA: another outbox (the restarted daemon)
  // sends it again once the lease is over.
  FakeLink link2;
  VisitedOutbox restarted(store_, service_, link2, {std::chrono::seconds(10), std::chrono::seconds(60), 100},
                          [this] { return now_; });
  restarted.send_due();
  EXPECT_TRUE(link2.sent.empty());
  now_ = now_ + std::chrono::seconds(15);
  restarted.send_due();
  ASSERT_EQ(link2.sent.size(), 1u);
  link2.answer(LinkStatus::Success);
  EXPECT_EQ(revocation().state, RevocationState::Delivered);
}

TEST_F(OutboxTest, AKeyPushCarriesTheNextVectorToTheDelegationsHost) {
  delegate();
  const auto rotated = service_.rotate(kNai);
  ASSERT_EQ(rotated.status, RotationStatus::Rotated);
  outbox_.send_due();
  ASSERT_EQ(link_.sent.size(), 1u);
  const auto& m = *link_.sent.front().push;
  EXPECT_EQ(m.user_name, kNai);
  EXPECT_EQ(m.visited_realm, "visited.example");
  EXPECT_EQ(m.visited_host, kVisitedHost);
  EXPECT_EQ(m.vector.generation, 2u);
  EXPECT_EQ(m.vector.rand, rotated.push->rand);
  const auto tsk = crypto::derive_tsk(SecretBytes::from_hex(kK).view(), m.vector.rand, "visited.example", 2);
  EXPECT_EQ(crypto::to_hex(m.vector.tsk.view()), crypto::to_hex(tsk.view()));
  EXPECT_EQ(last_event(), OutboxEvent::Kind::PushSent);

  link_.answer(LinkStatus::Success);
  EXPECT_EQ(last_event(), OutboxEvent::Kind::PushAcknowledged);
  EXPECT_EQ(push().state, KeyPushState::Pending);
  // The mobile takes it; the visited host reports.
  EXPECT_TRUE(service_.report_key_update({kNai, kVisitedHost, "visited.example", 2, KeyUpdateStatus::Updated})
                  .outcome.is_success());
  EXPECT_EQ(push().state, KeyPushState::Updated);
  EXPECT_EQ(store_.get(kNai)->mobile_generation, 2u);
}

TEST_F(OutboxTest, AKeyPushTheVisitedHostHasNoDelegationFor) {
  delegate();
  service_.rotate(kNai);
  outbox_.send_due();
  link_.answer(LinkStatus::NoDelegation, "5401 (experimental) USER_UNKNOWN");
  EXPECT_EQ(last_event(), OutboxEvent::Kind::PushGone);
  EXPECT_TRUE(events_.back().delegation_ended);
  EXPECT_EQ(push().state, KeyPushState::Gone);
  EXPECT_FALSE(store_.delegation(kNai)->active());
}

TEST_F(OutboxTest, AnUnreachableKeyPushIsRetriedUntilItsLifetimeEnds) {
  delegate();
  service_.rotate(kNai);  // lifetime 600
  outbox_.send_due();
  link_.answer(LinkStatus::Unreachable, "timed out: no answer before the deadline");
  EXPECT_EQ(last_event(), OutboxEvent::Kind::PushRetry);
  EXPECT_EQ(push().state, KeyPushState::Sending);
  EXPECT_EQ(push().attempts, 1u);
  EXPECT_EQ(push().last_error, "timed out: no answer before the deadline");
  now_ = now_ + std::chrono::seconds(1);
  outbox_.send_due();
  ASSERT_EQ(link_.sent.size(), 1u);
  link_.answer(LinkStatus::Success);
  EXPECT_EQ(push().state, KeyPushState::Pending);

  service_.rotate(kNai);
  now_ = now_ + std::chrono::seconds(600);
  outbox_.send_due();
  EXPECT_TRUE(link_.sent.empty());
  EXPECT_EQ(last_event(), OutboxEvent::Kind::PushDropped);
  EXPECT_EQ(push().state, KeyPushState::Expired);
}

TEST_F(OutboxTest, ARefusedKeyPushFailsForGood) {
  delegate();
  service_.rotate(kNai);
  outbox_.send_due();
  link_.answer(LinkStatus::Refused, "5004 DIAMETER_INVALID_AVP_VALUE: unknown Key-Wrap-Key-Id");
  EXPECT_EQ(last_event(), OutboxEvent::Kind::PushFailed);
  EXPECT_EQ(push().state, KeyPushState::Failed);
  EXPECT_EQ(push().last_error, "5004 DIAMETER_INVALID_AVP_VALUE: unknown Key-Wrap-Key-Id");
  now_ = now_ + std::chrono::seconds(100);
  outbox_.send_due();
  EXPECT_TRUE(link_.sent.empty());
}

TEST_F(OutboxTest, AnAnswerForAPushMadeMootMeanwhileChangesNothing) {
  delegate();
  service_.rotate(kNai);
  outbox_.send_due();
  delegate();  // a DLR supersedes the push while the KPR is in flight
  link_.answer(LinkStatus::Success);
  EXPECT_EQ(push().state, KeyPushState::Superseded);
}

TEST_F(OutboxTest, RevocationsAndPushesOfOneSubscriberAreIndependent) {
  delegate();
  service_.rotate(kNai);
  delegate(kOtherHost, "other.example");  // revokes, and supersedes the push
  outbox_.send_due();
  ASSERT_EQ(link_.sent.size(), 1u);
  EXPECT_TRUE(link_.sent.front().revocation);
  EXPECT_EQ(push().state, KeyPushState::Superseded);
}

}  // namespace
}  // namespace roamkey::home
