// DelegationService for issue 3: one active delegation (a second realm
// revokes the first), Wrapped-TSK-Key, per-partner policy, KUR, rotation and
// the operator's queued requests.

#include <gtest/gtest.h>

#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/key_wrap.h"
#include "delegation_service.h"
#include "sqlite_subscriber_store.h"
#include "store_support.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

using crypto::SecretBytes;
using crypto::to_hex;
using diameter::ExperimentalCode;
using test::at;

const char* const kK = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char* const kKek = "4041424344454647484950515253545556575859606162636465666768697071";
const char* const kNai = "alice@home.example";
const char* const kVisitedHost = "aaa.visited.example";
const char* const kOtherHost = "aaa.other.example";

RoamingPartners partners(bool wrap_other = false) {
  RoamingPartner visited{"visited.example", {kVisitedHost}};
  visited.policy = DelegationPolicy{900, 3, 100};
  RoamingPartner other{"other.example", {kOtherHost}};
  if (wrap_other) {
    other.keks = {{"2026-a", "unused.key"}};
    other.wrap_with = "2026-a";
  }
  return RoamingPartners({visited, other});
}

WrapKeys wrap_keys() {
  WrapKeys keys;
  keys.set("Other.Example", {"2026-a", SecretBytes::from_hex(kKek)});
  return keys;
}

void expect_app(const diameter::Outcome& o, ExperimentalCode code) {
  EXPECT_TRUE(o.experimental) << o.reason;
  EXPECT_EQ(o.code, static_cast<std::uint32_t>(code)) << o.reason;
}

class RotationTest : public ::testing::Test {
 protected:
  RotationTest()
      : store_(dir_ / "home.db"),
        service_(
            store_, store_, DelegationPolicy{600, std::nullopt, 0}, partners(true), random_, [this] { return now_; },
            wrap_keys()) {
    store_.add({kNai, SecretBytes::from_hex(kK), SubscriberStatus::Active, RoamingScope::everywhere()}, at(1));
  }

  DelegationResult dlr(const std::string& host = kVisitedHost, const std::string& realm = "visited.example") {
    auto r = service_.delegate({kNai, host, realm});
    EXPECT_TRUE(r.outcome.is_success()) << r.outcome.reason;
    return r;
  }

  KeyUpdateResult kur(std::uint32_t generation, KeyUpdateStatus status = KeyUpdateStatus::Updated,
                      const std::string& realm = "visited.example", const std::string& host = kVisitedHost,
                      const std::string& nai = kNai) {
    return service_.report_key_update({nai, host, realm, generation, status});
  }

  Timestamp now_ = at(5000);
  roamkey::test::ScratchDir dir_;
  SqliteSubscriberStore store_;
  crypto::SystemRandom random_;
  DelegationService service_;
};

TEST_F(RotationTest, ADelegationToASecondRealmRevokesTheFirst) {
  const auto first = dlr();
  EXPECT_FALSE(first.revoked);
  const auto second = dlr(kOtherHost, "other.example");
  ASSERT_TRUE(second.revoked);
  EXPECT_EQ(second.revoked->visited_realm, "visited.example");
  EXPECT_EQ(second.revoked->visited_host, kVisitedHost);
  EXPECT_EQ(second.revocations_queued, 1u);
  const auto revs = store_.revocations(kNai, 10);
  ASSERT_EQ(revs.size(), 1u);
  EXPECT_EQ(revs[0].cause, RevocationCause::NewDelegation);
  EXPECT_EQ(revs[0].visited_host, kVisitedHost);
  EXPECT_EQ(revs[0].generation, 1u);
  EXPECT_EQ(store_.delegation(kNai)->visited_realm, "other.example");
}

TEST_F(RotationTest, ThePartnersPolicyOverridesTheTopLevelOne) {
  const auto r = dlr();
  EXPECT_EQ(r.vector->lifetime, 900u);
  EXPECT_EQ(r.vector->max_uses, 3u);
  const auto o = dlr(kOtherHost, "other.example");
  EXPECT_EQ(o.vector->lifetime, 600u);
  EXPECT_FALSE(o.vector->max_uses);
  EXPECT_EQ(service_.policy_for("VISITED.example").rotation_interval, 100u);
  EXPECT_EQ(service_.policy_for("other.example").rotation_interval, 0u);
  EXPECT_EQ(service_.policy_for("nobody.example").tsk_lifetime, 600u);
}

TEST_F(RotationTest, APartnerWithAKekGetsTheTskOnlyWrapped) {
  const auto r = dlr(kOtherHost, "other.example");
  ASSERT_TRUE(r.vector);
  EXPECT_TRUE(r.vector->tsk.empty());
  ASSERT_TRUE(r.vector->wrapped_tsk);
  EXPECT_EQ(r.vector->wrapped_tsk->size(), 40u);
  EXPECT_EQ(r.vector->key_wrap_key_id, "2026-a");
  const auto unwrapped = crypto::aes_key_unwrap(SecretBytes::from_hex(kKek).view(), *r.vector->wrapped_tsk);
  ASSERT_TRUE(unwrapped);
  const auto expected =
      crypto::derive_tsk(SecretBytes::from_hex(kK).view(), r.vector->rand, "other.example", r.vector->generation);
  EXPECT_EQ(to_hex(unwrapped->view()), to_hex(expected.view()));

  // The partner without a KEK still gets TSK-Key.
  const auto clear = dlr();
  EXPECT_FALSE(clear.vector->wrapped_tsk);
  EXPECT_EQ(clear.vector->tsk.size(), 32u);
}

TEST_F(RotationTest, KeyUpdateReportOutcomes) {
  dlr();
  const auto first = kur(1);
  EXPECT_TRUE(first.outcome.is_success()) << first.outcome.reason;
  EXPECT_FALSE(first.repeated);
  const auto again = kur(1);
  EXPECT_TRUE(again.outcome.is_success());
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(store_.get(kNai)->mobile_generation, 1u);
  EXPECT_EQ(store_.key_updates(kNai, 10).at(0).reports, 2u);

  expect_app(kur(2).outcome, ExperimentalCode::UnknownKeyGeneration);
  expect_app(kur(1, KeyUpdateStatus::Updated, "other.example", kOtherHost).outcome,
             ExperimentalCode::UnknownKeyGeneration);
  expect_app(kur(1, KeyUpdateStatus::Updated, "visited.example", kVisitedHost, "nobody@home.example").outcome,
             ExperimentalCode::UserUnknown);
  expect_app(kur(1, KeyUpdateStatus::Updated, "rogue.example", "aaa.rogue.example").outcome,
             ExperimentalCode::RoamingNotAllowed);
  expect_app(kur(1, KeyUpdateStatus::Updated, "visited.example", kOtherHost).outcome,
             ExperimentalCode::RoamingNotAllowed);
  const auto rejected = kur(1, KeyUpdateStatus::RejectedByMn);
  EXPECT_TRUE(rejected.outcome.is_success());
  EXPECT_FALSE(rejected.repeated);
  EXPECT_EQ(store_.get(kNai)->mobile_generation, 1u);
}

TEST_F(RotationTest, RotationIssuesTheNextGenerationForTheDelegationsHost) {
  EXPECT_EQ(service_.rotate(kNai).status, RotationStatus::NoActiveDelegation);
  EXPECT_EQ(service_.rotate("nobody@home.example").status, RotationStatus::UnknownSubscriber);
  dlr();
  now_ = at(5010);
  const auto r = service_.rotate("alice@HOME.example");
  ASSERT_EQ(r.status, RotationStatus::Rotated) << r.detail;
  ASSERT_TRUE(r.push);
  EXPECT_EQ(r.push->generation, 2u);
  EXPECT_EQ(r.push->visited_host, kVisitedHost);
  EXPECT_EQ(r.push->lifetime, 900u);  // the partner's policy
  EXPECT_EQ(r.push->max_uses, 3u);
  EXPECT_EQ(r.push->created_at, at(5010));
  EXPECT_NE(r.detail.find("generation 2"), std::string::npos);

  std::string why;
  const auto v = service_.push_vector(*r.push, why);
  ASSERT_TRUE(v);
  const auto expected = crypto::derive_tsk(SecretBytes::from_hex(kK).view(), r.push->rand, "visited.example", 2);
  EXPECT_EQ(to_hex(v->tsk.view()), to_hex(expected.view()));
  EXPECT_EQ(v->generation, 2u);
  EXPECT_EQ(v->lifetime, 900u);
}

TEST_F(RotationTest, PushVectorsAreWrappedForAWrappingPartner) {
  dlr(kOtherHost, "other.example");
  const auto r = service_.rotate(kNai);
  ASSERT_EQ(r.status, RotationStatus::Rotated) << r.detail;
  std::string why;
  const auto v = service_.push_vector(*r.push, why);
  ASSERT_TRUE(v && v->wrapped_tsk);
  EXPECT_TRUE(v->tsk.empty());
  EXPECT_EQ(v->key_wrap_key_id, "2026-a");
}

TEST_F(RotationTest, PushVectorOfARemovedSubscriber) {
  dlr();
  const auto r = service_.rotate(kNai);
  ASSERT_TRUE(r.push);
  store_.remove(kNai, at(5001));
  std::string why;
  EXPECT_FALSE(service_.push_vector(*r.push, why));
  EXPECT_NE(why.find("no longer exists"), std::string::npos);
}

TEST_F(RotationTest, NoRotationForAnExpiredRevokedOrUnpartneredDelegation) {
  dlr();
  now_ = at(5900);  // lifetime 900: expired
  auto r = service_.rotate(kNai);
  EXPECT_EQ(r.status, RotationStatus::NoActiveDelegation);
  EXPECT_NE(r.detail.find("expired"), std::string::npos);

  now_ = at(6000);
  dlr();
  const RoamingPartner other{"other.example", {kOtherHost}};
  DelegationService without_partner(store_, store_, {}, RoamingPartners({other}), random_, [this] { return now_; });
  EXPECT_EQ(without_partner.rotate(kNai).status, RotationStatus::NotAllowed);

  store_.set_status(kNai, SubscriberStatus::Barred, at(6001));  // revokes
  EXPECT_EQ(service_.rotate(kNai).status, RotationStatus::NoActiveDelegation);
  EXPECT_EQ(store_.get(kNai)->last_generation, 2u);
}

TEST_F(RotationTest, RotationIsDueAfterThePartnersInterval) {
  dlr();                             // at 5000; visited.example rotates every 100 s
  dlr(kOtherHost, "other.example");  // revokes it; other.example never rotates
  now_ = at(5200);
  EXPECT_TRUE(service_.rotate_due(10).empty());

  now_ = at(6000);
  dlr();  // a new delegation to visited.example at 6000
  now_ = at(6099);
  EXPECT_TRUE(service_.rotate_due(10).empty());
  now_ = at(6100);
  auto due = service_.rotate_due(10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].status, RotationStatus::Rotated);
  EXPECT_EQ(due[0].nai, kNai);
  now_ = at(6150);
  EXPECT_TRUE(service_.rotate_due(10).empty());  // counts from the rotation
  now_ = at(6200);
  EXPECT_EQ(service_.rotate_due(10).size(), 1u);
  EXPECT_EQ(store_.key_pushes(kNai, 10).size(), 2u);
}

TEST_F(RotationTest, TheDaemonHandlesTheOperatorsRequests) {
  dlr();
  store_.request_rotation(kNai, at(5001));
  store_.request_rotation(kNai, at(5002));
  const auto handled = service_.handle_operator_requests(10);
  ASSERT_EQ(handled.size(), 2u);
  EXPECT_EQ(handled[0].result.status, RotationStatus::Rotated);
  EXPECT_EQ(handled[1].result.status, RotationStatus::Rotated);
  EXPECT_EQ(store_.get(kNai)->last_generation, 3u);
  EXPECT_TRUE(store_.open_operator_requests(10).empty());
  const auto mine = store_.operator_requests(kNai, 10);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_NE(mine[0].result.find("rotated: generation 3"), std::string::npos) << mine[0].result;

  store_.revoke(kNai, RevocationCause::Administrative, at(5003));
  store_.request_rotation(kNai, at(5004));
  const auto refused = service_.handle_operator_requests(10);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].result.status, RotationStatus::NoActiveDelegation);
  EXPECT_NE(store_.operator_requests(kNai, 1).at(0).result.find("no active delegation"), std::string::npos);
}

}  // namespace
}  // namespace roamkey::home
