#include "delegation_service.h"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "sqlite_subscriber_store.h"
#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

using crypto::Bytes;
using crypto::from_hex;
using crypto::SecretBytes;
using crypto::to_hex;
using diameter::ExperimentalCode;
using diameter::ResultCode;

// shared/spec/test-vectors.json
const char* const kK = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char* const kNai = "alice@home.example";
const char* const kRealmAsConfigured = "Visited.Example";
const char* const kRand = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
const std::uint32_t kGeneration = 7;
const char* const kHostChallenge = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
const char* const kTsk = "6fa530dc3d2c08934d613d9ba1a0769675850137a02d194176d7681fcdd361a2";
const char* const kMnAuth = "f8ba9cf32a5e25574309ca16c8c12dc64121791b4b5b9a40689c45a4aebb7477";
const char* const kHomeAuth = "4b0a8b4006e1bb15b30c851a11fb9859f14b879a1a4f33a518c273b7b80d6133";

const char* const kVisitedHost = "aaa.visited.example";
const char* const kOtherRealm = "other.example";
const char* const kOtherHost = "aaa.other.example";

Timestamp at(std::int64_t s) {
  return Timestamp(std::chrono::seconds(s));
}

// Returns the queued values in turn, then a counter pattern.
class ScriptedRandom final : public crypto::RandomSource {
 public:
  void queue(Bytes b) { queued_.push_back(std::move(b)); }
  void fill(std::span<std::uint8_t> out) override {
    if (next_ < queued_.size()) {
      const auto& b = queued_[next_++];
      if (b.size() != out.size()) throw std::logic_error("scripted random: size mismatch");
      std::memcpy(out.data(), b.data(), b.size());
      return;
    }
    for (auto& x : out) x = counter_++;
  }

 private:
  std::vector<Bytes> queued_;
  std::size_t next_ = 0;
  std::uint8_t counter_ = 0x10;
};

class FailingRandom final : public crypto::RandomSource {
 public:
  void fill(std::span<std::uint8_t>) override { throw std::runtime_error("RAND_bytes failed"); }
};

// A store whose every call fails, as a full disk or a corrupt file would.
class BrokenStore final : public SubscriberStore, public DelegationStore {
 public:
  void add(const NewSubscriber&, Timestamp) override { fail(); }
  void import(const std::vector<NewSubscriber>&, Timestamp) override { fail(); }
  std::optional<Subscriber> get(std::string_view) override { fail(); }
  std::optional<SubscriberWithKey> get_with_key(std::string_view) override { fail(); }
  SubscriberPage list(std::string_view, std::size_t) override { fail(); }
  bool set_status(std::string_view, SubscriberStatus, Timestamp) override { fail(); }
  bool set_roaming(std::string_view, const RoamingScope&, Timestamp) override { fail(); }
  bool remove(std::string_view, Timestamp) override { fail(); }
  std::optional<std::uint32_t> issue_vector(const IssueRequest&) override { fail(); }
  std::optional<VectorRecord> find_issued(std::string_view, std::uint32_t) override { fail(); }
  std::vector<VectorRecord> list_delegations(std::string_view) override { fail(); }

  std::optional<DelegationIssue> record_delegation(const IssueRequest&) override { fail(); }
  void in_one_transaction(const std::function<void()>&) override { fail(); }
  std::optional<DelegationRecord> delegation(std::string_view) override { fail(); }
  std::optional<RevocationOutcome> revoke(std::string_view, RevocationCause, Timestamp) override { fail(); }
  std::vector<DelegationRecord> due_for_rotation(std::string_view, Timestamp, Timestamp, std::size_t) override {
    fail();
  }
  std::optional<KeyPushRecord> issue_rotation(const RotationRequest&) override { fail(); }
  std::vector<RevocationRecord> claim_due_revocations(Timestamp, Timestamp, std::size_t) override { fail(); }
  void revocation_delivered(std::int64_t, Timestamp) override { fail(); }
  void revocation_failed(std::int64_t, std::string_view, Timestamp, Timestamp) override { fail(); }
  void revocation_abandoned(std::int64_t, std::string_view, Timestamp) override { fail(); }
  std::vector<RevocationRecord> revocations(std::string_view, std::size_t) override { fail(); }
  std::vector<KeyPushRecord> claim_due_key_pushes(Timestamp, Timestamp, std::size_t) override { fail(); }
  void key_push_acknowledged(std::int64_t, Timestamp) override { fail(); }
  bool key_push_gone(std::int64_t, std::string_view, Timestamp) override { fail(); }
  void key_push_failed(std::int64_t, std::string_view, Timestamp, Timestamp) override { fail(); }
  void key_push_finished(std::int64_t, KeyPushState, std::string_view, Timestamp) override { fail(); }
  std::vector<KeyPushRecord> key_pushes(std::string_view, std::size_t) override { fail(); }
  KeyUpdateRecording record_key_update(const KeyUpdateReport&) override { fail(); }
  std::vector<KeyUpdateRecord> key_updates(std::string_view, std::size_t) override { fail(); }
  std::optional<std::int64_t> request_rotation(std::string_view, Timestamp) override { fail(); }
  std::vector<OperatorRequest> open_operator_requests(std::size_t) override { fail(); }
  void finish_operator_request(std::int64_t, std::string_view, Timestamp) override { fail(); }
  std::vector<OperatorRequest> operator_requests(std::string_view, std::size_t) override { fail(); }

 private:
  [[noreturn]] static void fail() { throw StoreError("home.db: disk I/O error"); }
};

RoamingPartners partners() {
  return RoamingPartners({{"visited.example", {kVisitedHost}}, {kOtherRealm, {kOtherHost}}});
}

void expect_app(const diameter::Outcome& o, ExperimentalCode code) {
  EXPECT_TRUE(o.experimental) << o.reason;
  EXPECT_EQ(o.code, static_cast<std::uint32_t>(code)) << o.reason;
  EXPECT_FALSE(o.reason.empty());
}

void expect_base(const diameter::Outcome& o, ResultCode code) {
  EXPECT_FALSE(o.experimental) << o.reason;
  EXPECT_EQ(o.code, static_cast<std::uint32_t>(code)) << o.reason;
}

class DelegationTest : public ::testing::Test {
 protected:
  DelegationTest()
      : store_(dir_ / "home.db"),
        service_(store_, store_, DelegationPolicy{600, 5}, partners(), random_, [] { return at(5000); }) {
    store_.add({kNai, SecretBytes::from_hex(kK), SubscriberStatus::Active, {false, {"visited.example"}}}, at(1));
  }

  DelegationRequest dlr(std::string nai = kNai, std::string host = kVisitedHost,
                        std::string realm = kRealmAsConfigured) const {
    return {std::move(nai), std::move(host), std::move(realm)};
  }

  // Issues generations 1..6 with other RANDs, then 7 with the test vector's.
  void issue_test_vector_generation() {
    for (std::uint32_t g = 1; g < kGeneration; ++g) ASSERT_TRUE(service_.delegate(dlr()).outcome.is_success());
    random_.queue(from_hex(kRand));
    const auto r = service_.delegate(dlr());
    ASSERT_TRUE(r.outcome.is_success()) << r.outcome.reason;
    ASSERT_EQ(r.vector->generation, kGeneration);
  }

  HomeAuthRequest har() const {
    return {kNai,
            kVisitedHost,
            kRealmAsConfigured,
            from_hex(kRand),
            kGeneration,
            from_hex(kHostChallenge),
            from_hex(kMnAuth)};
  }

  std::uint32_t generation() { return store_.get(kNai)->last_generation; }

  roamkey::test::ScratchDir dir_;
  SqliteSubscriberStore store_;
  ScriptedRandom random_;
  DelegationService service_;
};

TEST_F(DelegationTest, DelegationIssuesTheNextGenerationAndItsTsk) {
  random_.queue(from_hex(kRand));
  const auto r = service_.delegate(dlr(kNai, kVisitedHost, "visited.example"));
  ASSERT_TRUE(r.outcome.is_success()) << r.outcome.reason;
  ASSERT_TRUE(r.vector);
  EXPECT_EQ(to_hex(r.vector->rand), kRand);
  EXPECT_EQ(r.vector->generation, 1u);
  EXPECT_EQ(r.vector->lifetime, 600u);
  EXPECT_EQ(r.vector->max_uses, 5u);
  const auto expected = crypto::derive_tsk(SecretBytes::from_hex(kK).view(), from_hex(kRand), "visited.example", 1);
  EXPECT_EQ(to_hex(r.vector->tsk.view()), to_hex(expected.view()));

  // Stored before the answer leaves.
  EXPECT_EQ(generation(), 1u);
  const auto v = store_.find_issued(kNai, 1);
  ASSERT_TRUE(v);
  EXPECT_EQ(to_hex(v->rand), kRand);
  EXPECT_EQ(v->visited_realm, "visited.example");
  EXPECT_EQ(v->visited_host, kVisitedHost);
  EXPECT_EQ(v->issued_at, at(5000));
  EXPECT_EQ(v->expires_at, at(5600));

  const auto second = service_.delegate(dlr());
  ASSERT_TRUE(second.outcome.is_success());
  EXPECT_EQ(second.vector->generation, 2u);
  EXPECT_NE(second.vector->rand, r.vector->rand);
}

// The spec's test vector: generation 7, realm configured in mixed case.
TEST_F(DelegationTest, DelegatedTskIsTheTestVectorTsk) {
  for (std::uint32_t g = 1; g < kGeneration; ++g) service_.delegate(dlr());
  random_.queue(from_hex(kRand));
  const auto r = service_.delegate(dlr());
  ASSERT_TRUE(r.outcome.is_success());
  EXPECT_EQ(to_hex(r.vector->tsk.view()), kTsk);
}

TEST_F(DelegationTest, UnlimitedUsesLeavesMaxUsesOut) {
  DelegationService unlimited(store_, store_, DelegationPolicy{3600, std::nullopt}, partners(), random_);
  const auto r = unlimited.delegate(dlr());
  ASSERT_TRUE(r.outcome.is_success());
  EXPECT_FALSE(r.vector->max_uses);
  EXPECT_EQ(r.vector->lifetime, 3600u);
}

TEST_F(DelegationTest, RealmThatIsNoPartnerIs5402) {
  const auto r = service_.delegate(dlr(kNai, "aaa.rogue.example", "rogue.example"));
  expect_app(r.outcome, ExperimentalCode::RoamingNotAllowed);
  EXPECT_NE(r.outcome.reason.find("not a roaming partner"), std::string::npos);
  EXPECT_FALSE(r.vector);
  EXPECT_EQ(generation(), 0u);
}

TEST_F(DelegationTest, HostThatIsNotAPeerOfThePartnerIs5402) {
  // aaa.other.example is a real partner's peer, but not visited.example's.
  const auto r = service_.delegate(dlr(kNai, kOtherHost, "visited.example"));
  expect_app(r.outcome, ExperimentalCode::RoamingNotAllowed);
  EXPECT_NE(r.outcome.reason.find("not a listed peer"), std::string::npos);
  EXPECT_EQ(generation(), 0u);
}

// A reload (SIGHUP) swaps partners and policy for the next request.
TEST_F(DelegationTest, ReconfigureAppliesPartnersAndPolicyToTheNextRequest) {
  expect_app(service_.delegate(dlr(kNai, "aaa.new.example", "new.example")).outcome,
             ExperimentalCode::RoamingNotAllowed);
  store_.set_roaming(kNai, RoamingScope::everywhere(), at(2));
  service_.reconfigure(DelegationPolicy{120, 2},
                       RoamingPartners({{"visited.example", {kVisitedHost}}, {"new.example", {"aaa.new.example"}}}),
                       WrapKeys{});
  EXPECT_TRUE(service_.speaks_for("new.example", "aaa.new.example"));
  const auto r = service_.delegate(dlr(kNai, "aaa.new.example", "new.example"));
  ASSERT_TRUE(r.outcome.is_success()) << r.outcome.reason;
  EXPECT_EQ(r.vector->lifetime, 120u);
  EXPECT_EQ(r.vector->max_uses, 2u);
  EXPECT_EQ(service_.policy_for("new.example").tsk_lifetime, 120u);

  // A partner dropped from the configuration is refused from then on.
  service_.reconfigure(DelegationPolicy{600, 5},
                       RoamingPartners(std::vector<RoamingPartner>{{"new.example", {"aaa.new.example"}}}), WrapKeys{});
  EXPECT_FALSE(service_.speaks_for("visited.example", kVisitedHost));
  expect_app(service_.delegate(dlr()).outcome, ExperimentalCode::RoamingNotAllowed);
}

TEST_F(DelegationTest, PeerAndRealmCompareWithoutCase) {
  const auto r = service_.delegate(dlr(kNai, "AAA.Visited.Example", "VISITED.EXAMPLE"));
  EXPECT_TRUE(r.outcome.is_success()) << r.outcome.reason;
}

TEST_F(DelegationTest, PartnerCheckComesBeforeTheSubscriberLookup) {
  // Nothing about subscribers is revealed to a realm that is no partner.
  expect_app(service_.delegate(dlr("nobody@home.example", "aaa.rogue.example", "rogue.example")).outcome,
             ExperimentalCode::RoamingNotAllowed);
}

TEST_F(DelegationTest, UnknownSubscriberIs5401) {
  const auto r = service_.delegate(dlr("nobody@home.example"));
  expect_app(r.outcome, ExperimentalCode::UserUnknown);
  EXPECT_FALSE(r.vector);
  expect_app(service_.delegate(dlr("not an nai")).outcome, ExperimentalCode::UserUnknown);
}

TEST_F(DelegationTest, BarredSubscriberIs5403UntilUnbarred) {
  store_.set_status(kNai, SubscriberStatus::Barred, at(2));
  const auto r = service_.delegate(dlr());
  expect_app(r.outcome, ExperimentalCode::SubscriberBarred);
  EXPECT_FALSE(r.vector);
  EXPECT_EQ(generation(), 0u);

  store_.set_status(kNai, SubscriberStatus::Active, at(3));
  const auto after = service_.delegate(dlr());
  ASSERT_TRUE(after.outcome.is_success()) << after.outcome.reason;
  EXPECT_EQ(after.vector->generation, 1u);
}

TEST_F(DelegationTest, SubscriberNotAllowedInThatPartnerRealmIs5402) {
  const auto r = service_.delegate(dlr(kNai, kOtherHost, kOtherRealm));
  expect_app(r.outcome, ExperimentalCode::RoamingNotAllowed);
  EXPECT_NE(r.outcome.reason.find("may not roam"), std::string::npos);
  EXPECT_EQ(generation(), 0u);

  store_.set_roaming(kNai, RoamingScope::everywhere(), at(2));
  EXPECT_TRUE(service_.delegate(dlr(kNai, kOtherHost, kOtherRealm)).outcome.is_success());
}

TEST_F(DelegationTest, StoreFailureIs5012WithoutKeyMaterial) {
  BrokenStore broken;
  DelegationService service(broken, broken, {}, partners(), random_);
  const auto r = service.delegate(dlr());
  expect_base(r.outcome, ResultCode::UnableToComply);
  EXPECT_NE(r.outcome.reason.find("disk I/O error"), std::string::npos);
  EXPECT_FALSE(r.vector);
  expect_base(service.authenticate_home(har()).outcome, ResultCode::UnableToComply);
}

TEST_F(DelegationTest, RandomFailureIs5012AndIssuesNothing) {
  FailingRandom failing;
  DelegationService service(store_, store_, {}, partners(), failing);
  expect_base(service.delegate(dlr()).outcome, ResultCode::UnableToComply);
  EXPECT_EQ(generation(), 0u);
}

// HAR (claim 26).

TEST_F(DelegationTest, HomeAuthenticationMatchesTheTestVector) {
  issue_test_vector_generation();
  const auto r = service_.authenticate_home(har());
  ASSERT_TRUE(r.outcome.is_success()) << r.outcome.reason;
  ASSERT_TRUE(r.home_auth);
  EXPECT_EQ(to_hex(*r.home_auth), kHomeAuth);
}

TEST_F(DelegationTest, HomeAuthenticationForAGenerationNeverIssuedIs5404) {
  issue_test_vector_generation();
  auto req = har();
  req.generation = 8;
  const auto r = service_.authenticate_home(req);
  expect_app(r.outcome, ExperimentalCode::UnknownKeyGeneration);
  EXPECT_FALSE(r.home_auth);
}

TEST_F(DelegationTest, HomeAuthenticationFromAnotherRealmIs5404) {
  issue_test_vector_generation();
  auto req = har();
  req.origin_realm = kOtherRealm;
  req.origin_host = kOtherHost;
  const auto r = service_.authenticate_home(req);
  expect_app(r.outcome, ExperimentalCode::UnknownKeyGeneration);
  EXPECT_NE(r.outcome.reason.find("another realm"), std::string::npos);
}

TEST_F(DelegationTest, HomeAuthenticationWithAnotherRandIs5404) {
  issue_test_vector_generation();
  auto req = har();
  req.rand[0] ^= 1;
  const auto r = service_.authenticate_home(req);
  expect_app(r.outcome, ExperimentalCode::UnknownKeyGeneration);
  EXPECT_NE(r.outcome.reason.find("another RAND"), std::string::npos);
}

TEST_F(DelegationTest, MnAuthDataThatDoesNotVerifyIs5405) {
  issue_test_vector_generation();
  auto req = har();
  req.mn_auth[31] ^= 0x80;
  const auto r = service_.authenticate_home(req);
  expect_app(r.outcome, ExperimentalCode::MnAuthFailed);
  EXPECT_FALSE(r.home_auth);
}

TEST_F(DelegationTest, MnAuthCoversTheNaiExactlyAsSent) {
  issue_test_vector_generation();
  auto req = har();
  req.nai = "alice@HOME.example";  // the same subscriber, but not the bytes the MN MACed
  expect_app(service_.authenticate_home(req).outcome, ExperimentalCode::MnAuthFailed);
}

TEST_F(DelegationTest, WrongLengthsAre5004) {
  issue_test_vector_generation();
  auto bad_rand = har();
  bad_rand.rand.pop_back();
  expect_base(service_.authenticate_home(bad_rand).outcome, ResultCode::InvalidAvpValue);
  auto bad_hc = har();
  bad_hc.host_challenge.push_back(0);
  expect_base(service_.authenticate_home(bad_hc).outcome, ResultCode::InvalidAvpValue);
  auto bad_mn = har();
  bad_mn.mn_auth.resize(31);
  expect_base(service_.authenticate_home(bad_mn).outcome, ResultCode::InvalidAvpValue);
  auto empty = har();
  empty.mn_auth.clear();
  expect_base(service_.authenticate_home(empty).outcome, ResultCode::InvalidAvpValue);
}

TEST_F(DelegationTest, HomeAuthenticationChecksPartnerSubscriberAndBarring) {
  issue_test_vector_generation();
  auto rogue = har();
  rogue.origin_realm = "rogue.example";
  expect_app(service_.authenticate_home(rogue).outcome, ExperimentalCode::RoamingNotAllowed);
  auto wrong_peer = har();
  wrong_peer.origin_host = kOtherHost;
  expect_app(service_.authenticate_home(wrong_peer).outcome, ExperimentalCode::RoamingNotAllowed);
  auto unknown = har();
  unknown.nai = "nobody@home.example";
  expect_app(service_.authenticate_home(unknown).outcome, ExperimentalCode::UserUnknown);

  store_.set_status(kNai, SubscriberStatus::Barred, at(2));
  expect_app(service_.authenticate_home(har()).outcome, ExperimentalCode::SubscriberBarred);
  store_.set_status(kNai, SubscriberStatus::Active, at(3));
  EXPECT_TRUE(service_.authenticate_home(har()).outcome.is_success());
}

}  // namespace
}  // namespace roamkey::home
