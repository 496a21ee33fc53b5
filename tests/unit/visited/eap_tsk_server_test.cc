#include "eap_tsk_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "eaptsk/eap.h"
#include "eaptsk/packet.h"
#include "eaptsk/peer.h"

namespace roamkey::visited {
namespace {

using namespace std::chrono_literals;
using crypto::Bytes;
using crypto::to_hex;
using eaptsk::EapCode;
using eaptsk::Peer;
using eaptsk::PeerStatus;
using Kind = EapReply::Kind;

// The server is configured with a mixed-case realm: derivations use it lower-cased (sec. 1).
const std::string kServerRealm = "Visited.Example";
const std::string kVisitedRealm = "visited.example";
const std::string kHomeRealm = "home.example";
const std::string kNai = "alice@home.example";
const Bytes kK = crypto::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kWrongK = crypto::from_hex("ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const std::string kClient = "nas1.visited.example";

// Deterministic nonces: a counter from a seed.
class CountingRandom final : public crypto::RandomSource {
 public:
  explicit CountingRandom(std::uint8_t seed) : next_(seed) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_;
};

// The home domain as the visited AAA sees it. Requests are recorded and stay
// outstanding until the test answers them, from its own thread: HomeLink's
// contract forbids running a callback inside request_vector/request_home_auth.
class FakeHomeLink final : public HomeLink {
 public:
  struct VectorRequest {
    std::string nai;
    std::string home_realm;
    VectorCallback done;
  };
  struct HomeAuthRequest {
    HomeAuthQuery query;
    HomeAuthCallback done;
  };

  void request_vector(const std::string& nai, const std::string& home_realm, VectorCallback done) override {
    ++vector_requests;
    pending_vectors.push_back({nai, home_realm, std::move(done)});
  }
  void request_home_auth(const HomeAuthQuery& query, HomeAuthCallback done) override {
    ++home_auth_requests;
    pending_home_auths.push_back({query, std::move(done)});
  }

  // Answers the oldest outstanding DLR.
  void answer_vector(std::optional<DelegatedVector> vector, std::string failure = {}) {
    if (pending_vectors.empty()) throw std::logic_error("no DLR outstanding");
    auto request = std::move(pending_vectors.front());
    pending_vectors.pop_front();
    request.done(std::move(vector), std::move(failure));
  }
  // Answers the oldest outstanding HAR.
  void answer_home_auth(std::optional<Bytes> home_auth, std::string failure = {}) {
    if (pending_home_auths.empty()) throw std::logic_error("no HAR outstanding");
    auto request = std::move(pending_home_auths.front());
    pending_home_auths.pop_front();
    request.done(std::move(home_auth), std::move(failure));
  }

  int vector_requests = 0;
  int home_auth_requests = 0;
  std::deque<VectorRequest> pending_vectors;
  std::deque<HomeAuthRequest> pending_home_auths;
};

// The Key-Update-Report sender (sec. 5 step 11), recording what it is told.
class RecordingUpdateSink final : public UpdateSink {
 public:
  struct Report {
    std::string nai;
    std::string home_realm;
    std::uint32_t generation = 0;
    KeyUpdateStatus status = KeyUpdateStatus::Abandoned;
  };
  void report(const std::string& nai, const std::string& home_realm, std::uint32_t generation,
              KeyUpdateStatus status) override {
    reports.push_back({nai, home_realm, generation, status});
  }
  std::vector<Report> reports;
};

// A TSK-Vector as the home domain derives it for K (sec. 2 and 3).
DelegatedVector issue(std::uint32_t generation, std::chrono::seconds lifetime = 3600s,
                      std::optional<std::uint32_t> max_uses = std::nullopt, const Bytes& k = kK) {
  DelegatedVector v;
  v.rand.fill(static_cast<std::uint8_t>(0x50 + generation));
  v.generation = generation;
  v.tsk = crypto::derive_tsk(k, v.rand, kVisitedRealm, generation);
  v.lifetime = lifetime;
  v.max_uses = max_uses;
  v.home_realm = kHomeRealm;
  return v;
}

// What one handle() call got back. Every handle() must get exactly one reply.
struct ReplySlot {
  int calls = 0;
  std::optional<EapReply> reply;
};

// A mobile node and the Diameter session its AAA client opened for it.
struct Mobile {
  Mobile(std::string session_id, const std::string& nai, const Bytes& k, std::uint32_t highest_generation,
         bool want_home_auth, crypto::RandomSource& random, eaptsk::PeerFaults faults = {})
      : session(std::move(session_id)),
        nai(nai),
        peer(nai, crypto::SecretBytes(crypto::ByteView(k)), highest_generation, want_home_auth, random, faults) {}

  std::string session;
  std::string nai;
  Peer peer;
  std::shared_ptr<ReplySlot> last;  // the reply to the latest DER
  bool final_delivered = false;

  const EapReply& reply() const {
    if (!last || !last->reply) throw std::logic_error("no reply yet");
    return *last->reply;
  }
};

EapCode code_of(const Bytes& packet) {
  const auto header = eaptsk::parse_eap_header(packet);
  if (!header) throw std::runtime_error("not an EAP packet");
  return header->code;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class EapTskServerTest : public ::testing::Test {
 protected:
  using Clock = EapTskServer::Clock;

  EapTskServerTest() { make_server(); }

  void TearDown() override {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      EXPECT_EQ(slots_[i]->calls, 1) << "reply count of handle() call #" << i;
    }
  }

  void make_server(std::size_t max_conversations = 100, std::chrono::seconds timeout = 30s) {
    server_.reset();
    EapServerOptions options;
    options.realm = kServerRealm;
    options.max_conversations = max_conversations;
    options.conversation_timeout = timeout;
    server_ = std::make_unique<EapTskServer>(options, cache_, home_, server_random_, [this] { return now_; });
  }

  std::unique_ptr<Mobile> mobile(const std::string& session, const std::string& nai = kNai,
                                 std::uint32_t highest_generation = 0, bool want_home_auth = false, const Bytes& k = kK,
                                 eaptsk::PeerFaults faults = {}) {
    return std::make_unique<Mobile>(session, nai, k, highest_generation, want_home_auth, peer_random_, faults);
  }

  // One DER.
  std::shared_ptr<ReplySlot> der(const std::string& session, Bytes payload, std::string user_name = {}) {
    auto slot = std::make_shared<ReplySlot>();
    slots_.push_back(slot);
    server_->handle({session, std::move(user_name), std::move(payload), kClient}, [slot](EapReply r) {
      ++slot->calls;
      slot->reply = std::move(r);
    });
    return slot;
  }

  // The mobile's first DER: its unsolicited EAP-Response/Identity.
  void begin(Mobile& m) {
    m.last = der(m.session, m.peer.identity_response(0));
    pump(m);
  }

  // Plays the AAA client and the mobile until the server has no reply yet
  // (it waits on the home) or the conversation ended.
  void pump(Mobile& m) {
    for (int guard = 0; guard < 32; ++guard) {
      if (!m.last || !m.last->reply) return;
      const EapReply& r = *m.last->reply;
      switch (r.kind) {
        case Kind::Continue: {
          const auto step = m.peer.handle(r.eap_payload);
          if (!step.response) return;
          m.last = der(m.session, *step.response);
          continue;
        }
        case Kind::Accept:
        case Kind::Reject:
          if (!m.final_delivered) {
            m.final_delivered = true;
            m.peer.handle(r.eap_payload);
          }
          return;
        case Kind::TooBusy:
        case Kind::Error: return;
      }
    }
    throw std::runtime_error("conversation does not end");
  }

  // A complete first authentication of kNai with a vector fetched from the home.
  void authenticate_from_home(std::uint32_t generation) {
    auto m = mobile("s-first");
    begin(*m);
    ASSERT_EQ(home_.pending_vectors.size(), 1U);
    home_.answer_vector(issue(generation));
    pump(*m);
    ASSERT_EQ(m->reply().kind, Kind::Accept) << m->reply().reason;
  }

  void expect_accepted(const Mobile& m) {
    ASSERT_TRUE(m.last && m.last->reply);
    const EapReply& r = *m.last->reply;
    ASSERT_EQ(r.kind, Kind::Accept) << r.reason;
    EXPECT_EQ(code_of(r.eap_payload), EapCode::Success);
    EXPECT_EQ(m.peer.status(), PeerStatus::Succeeded);
    EXPECT_EQ(r.msk.size(), 64U);
    EXPECT_EQ(to_hex(r.msk.view()), to_hex(m.peer.msk().view())) << "both ends hold the same MSK";
    EXPECT_EQ(to_hex(r.key_name), to_hex(m.peer.session_id())) << "EAP-Key-Name is the EAP Session-Id";
    EXPECT_GT(r.session_timeout, 0U);
    EXPECT_EQ(r.user_name, m.nai);
  }

  void expect_rejected(const Mobile& m, const std::string& reason_part) {
    ASSERT_TRUE(m.last && m.last->reply);
    const EapReply& r = *m.last->reply;
    ASSERT_EQ(r.kind, Kind::Reject) << r.reason;
    EXPECT_EQ(code_of(r.eap_payload), EapCode::Failure);
    EXPECT_TRUE(r.msk.empty()) << "no key on a reject";
    EXPECT_TRUE(r.key_name.empty());
    EXPECT_TRUE(contains(r.reason, reason_part)) << "reason: " << r.reason;
    EXPECT_NE(m.peer.status(), PeerStatus::Succeeded);
  }

  Clock::time_point now_ = Clock::time_point{} + 1000h;
  CountingRandom server_random_{0x10};
  CountingRandom peer_random_{0x90};
  TskCache cache_{TskCache::Options{}};
  FakeHomeLink home_;
  std::unique_ptr<EapTskServer> server_;  // last: destroyed before what it refers to
  std::vector<std::shared_ptr<ReplySlot>> slots_;
};

// --- vectors from the home and from the cache (sec. 5 step 1) -------------

TEST_F(EapTskServerTest, FirstAuthenticationFetchesTheVectorFromHome) {
  auto m = mobile("s1");
  begin(*m);
  ASSERT_EQ(home_.vector_requests, 1);
  ASSERT_EQ(home_.pending_vectors.size(), 1U);
  EXPECT_EQ(home_.pending_vectors.front().nai, kNai);
  EXPECT_EQ(home_.pending_vectors.front().home_realm, kHomeRealm);
  EXPECT_FALSE(m->last->reply) << "no DEA until the home answered";
  EXPECT_EQ(server_->conversations(), 1U);

  home_.answer_vector(issue(1));
  ASSERT_TRUE(m->last->reply) << "the home's answer continues the conversation";
  EXPECT_EQ(m->reply().kind, Kind::Continue);
  pump(*m);

  expect_accepted(*m);
  EXPECT_EQ(m->reply().session_timeout, 3600U) << "what is left of TSK-Lifetime";
  EXPECT_EQ(m->peer.generation(), 1U);
  EXPECT_EQ(m->peer.highest_generation(), 1U);
  EXPECT_FALSE(m->peer.home_authenticated());
  EXPECT_EQ(home_.vector_requests, 1);
  EXPECT_EQ(home_.home_auth_requests, 0);
  EXPECT_EQ(server_->conversations(), 0U) << "a finished conversation is freed";
  EXPECT_EQ(server_->stats().accepted, 1U);
}

TEST_F(EapTskServerTest, SecondAuthenticationUsesTheCachedVector) {
  authenticate_from_home(1);
  now_ += 100s;
  auto m = mobile("s2", kNai, 1);
  begin(*m);
  expect_accepted(*m);
  EXPECT_EQ(home_.vector_requests, 1) << "no DLR for a cached vector";
  EXPECT_EQ(m->reply().session_timeout, 3500U) << "the cached vector's remaining lifetime";
  EXPECT_EQ(m->peer.generation(), 1U);
  EXPECT_EQ(server_->stats().accepted, 2U);
}

TEST_F(EapTskServerTest, ConversationsForOneNaiShareOneFetch) {
  auto a = mobile("s-a");
  auto b = mobile("s-b");
  begin(*a);
  begin(*b);
  EXPECT_EQ(home_.vector_requests, 1) << "one DLR in flight per NAI";
  EXPECT_FALSE(a->last->reply);
  EXPECT_FALSE(b->last->reply);

  home_.answer_vector(issue(3));
  pump(*a);
  pump(*b);
  expect_accepted(*a);
  expect_accepted(*b);
  EXPECT_NE(to_hex(a->reply().msk.view()), to_hex(b->reply().msk.view())) << "fresh nonces per conversation";
  EXPECT_EQ(home_.vector_requests, 1);
  EXPECT_EQ(server_->stats().accepted, 2U);
}

TEST_F(EapTskServerTest, DifferentNaisFetchSeparately) {
  auto a = mobile("s-a", "alice@home.example");
  auto b = mobile("s-b", "bob@home.example");
  begin(*a);
  begin(*b);
  ASSERT_EQ(home_.pending_vectors.size(), 2U);
  EXPECT_EQ(home_.pending_vectors[0].nai, "alice@home.example");
  EXPECT_EQ(home_.pending_vectors[1].nai, "bob@home.example");
  home_.answer_vector(std::nullopt, "DIAMETER_UNABLE_TO_COMPLY (5012)");
  home_.answer_vector(issue(1));
  pump(*a);
  pump(*b);
  expect_rejected(*a, "5012");
  // bob's vector is derived from the same K here; only the routing matters.
  expect_accepted(*b);
}

TEST_F(EapTskServerTest, MaxUsesSmallerThanTheWaitersFetchesAgain) {
  auto a = mobile("s-a");
  auto b = mobile("s-b");
  begin(*a);
  begin(*b);
  ASSERT_EQ(home_.vector_requests, 1);
  home_.answer_vector(issue(1, 3600s, 1));  // TSK-Max-Uses 1: only one waiter served
  ASSERT_EQ(home_.vector_requests, 2) << "a second DLR for the waiter left over";
  pump(*a);
  EXPECT_FALSE(b->last->reply);
  home_.answer_vector(issue(2, 3600s, 1));
  pump(*b);
  expect_accepted(*a);
  expect_accepted(*b);
  EXPECT_EQ(a->peer.generation(), 1U);
  EXPECT_EQ(b->peer.generation(), 2U);
}

TEST_F(EapTskServerTest, HomeFailureRejectsWithEapFailure) {
  auto m = mobile("s1");
  begin(*m);
  home_.answer_vector(std::nullopt, "DIAMETER_ERROR_USER_UNKNOWN (5401)");
  pump(*m);
  expect_rejected(*m, "vector unavailable");
  EXPECT_TRUE(contains(m->reply().reason, "5401")) << m->reply().reason;
  EXPECT_EQ(m->reply().user_name, kNai);
  EXPECT_EQ(m->peer.status(), PeerStatus::Failed);
  EXPECT_EQ(server_->conversations(), 0U);
  EXPECT_EQ(server_->stats().rejected, 1U);

  // A failed fetch is not remembered: the next attempt asks again.
  auto again = mobile("s2");
  begin(*again);
  EXPECT_EQ(home_.vector_requests, 2);
  home_.answer_vector(issue(1));
  pump(*again);
  expect_accepted(*again);
}

TEST_F(EapTskServerTest, UnknownHomeRealmIsRejected) {
  auto m = mobile("s1", "bob@unknown.example");
  begin(*m);
  ASSERT_EQ(home_.pending_vectors.size(), 1U);
  EXPECT_EQ(home_.pending_vectors.front().home_realm, "unknown.example");
  home_.answer_vector(std::nullopt, "DIAMETER_UNABLE_TO_DELIVER (3002): no route to unknown.example");
  pump(*m);
  expect_rejected(*m, "3002");
}

TEST_F(EapTskServerTest, HomeRealmIsTheLowerCasedPartAfterTheLastAt) {
  // RFC 7542 sec. 2.2; protocol.md sec. 1: realms are case-insensitive.
  auto m = mobile("s1", "alice@corp@Home.EXAMPLE");
  begin(*m);
  ASSERT_EQ(home_.pending_vectors.size(), 1U);
  EXPECT_EQ(home_.pending_vectors.front().nai, "alice@corp@Home.EXAMPLE") << "the NAI exactly as sent";
  EXPECT_EQ(home_.pending_vectors.front().home_realm, kHomeRealm);
  home_.answer_vector(issue(1));
  pump(*m);
  expect_accepted(*m);
}

TEST_F(EapTskServerTest, NaiWithoutRealmIsRejectedWithoutAskingAnyHome) {
  for (const char* nai : {"alice", "alice@"}) {
    auto m = mobile(std::string("s-") + nai, nai);
    begin(*m);
    expect_rejected(*m, "the NAI names no realm");
    EXPECT_EQ(m->reply().user_name, nai);
  }
  EXPECT_EQ(home_.vector_requests, 0);
  EXPECT_EQ(server_->conversations(), 0U);
  EXPECT_EQ(server_->stats().rejected, 2U);
}

TEST_F(EapTskServerTest, InvalidVectorFromHomeIsRejected) {
  auto m = mobile("s1");
  begin(*m);
  auto bad = issue(1);
  bad.tsk = crypto::SecretBytes(16);  // TSK-Key must be 32 bytes (sec. 3)
  home_.answer_vector(std::move(bad));
  pump(*m);
  expect_rejected(*m, "invalid");
  EXPECT_EQ(cache_.size(), 0U) << "an invalid vector is not cached";
}

// --- authentication failures ------------------------------------------------

TEST_F(EapTskServerTest, WrongKeyAtThePeerIsRejectedAndTheCacheKeepsTheVector) {
  auto rogue = mobile("s-rogue", kNai, 0, false, kWrongK);
  begin(*rogue);
  home_.answer_vector(issue(1));
  pump(*rogue);
  expect_rejected(*rogue, "invalid MAC");
  EXPECT_EQ(rogue->peer.status(), PeerStatus::Failed);
  EXPECT_EQ(server_->stats().rejected, 1U);

  // claim 5: a failed MN authentication changes no stored key.
  auto m = mobile("s-good");
  begin(*m);
  expect_accepted(*m);
  EXPECT_EQ(home_.vector_requests, 1) << "the vector survived the failed attempt";
}

TEST_F(EapTskServerTest, CorruptMacIsRejected) {
  authenticate_from_home(1);
  eaptsk::PeerFaults faults;
  faults.corrupt_mac = true;
  auto m = mobile("s2", kNai, 1, false, kK, faults);
  begin(*m);
  expect_rejected(*m, "invalid MAC");
}

TEST_F(EapTskServerTest, StaleGenerationFetchesANewerVector) {
  authenticate_from_home(1);
  // sec. 5 step 2: this mobile accepted generation 5 elsewhere, so the cached 1 is stale.
  auto m = mobile("s2", kNai, 5);
  begin(*m);
  ASSERT_EQ(home_.vector_requests, 2) << "the stale vector is dropped and a fresh one fetched";
  EXPECT_EQ(m->peer.last_error_sent(), eaptsk::ErrorCode::StaleGeneration);
  EXPECT_FALSE(m->last->reply) << "waiting on the home for the fresh vector";
  home_.answer_vector(issue(6));
  pump(*m);
  expect_accepted(*m);
  EXPECT_EQ(m->peer.generation(), 6U);
  EXPECT_EQ(m->peer.highest_generation(), 6U);

  // The fresh vector replaced the stale one in the cache.
  auto next = mobile("s3", kNai, 6);
  begin(*next);
  expect_accepted(*next);
  EXPECT_EQ(next->peer.generation(), 6U);
  EXPECT_EQ(home_.vector_requests, 2);
}

TEST_F(EapTskServerTest, StaleGenerationTwiceIsRejected) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 9);
  begin(*m);
  ASSERT_EQ(home_.vector_requests, 2);
  home_.answer_vector(issue(4));  // still below what the mobile accepted
  pump(*m);
  expect_rejected(*m, "stale generation");
  EXPECT_EQ(home_.vector_requests, 2) << "one refresh per conversation";
}

// --- home authentication (claim 26) ------------------------------------------

TEST_F(EapTskServerTest, HomeAuthenticationAsksTheHomeAndSucceeds) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1, /*want_home_auth=*/true);
  begin(*m);
  ASSERT_EQ(home_.pending_home_auths.size(), 1U);
  EXPECT_FALSE(m->last->reply) << "no Confirm before the HAA";

  const HomeAuthQuery& q = home_.pending_home_auths.front().query;
  const auto vector = issue(1);
  EXPECT_EQ(q.nai, kNai);
  EXPECT_EQ(q.home_realm, kHomeRealm);
  EXPECT_EQ(to_hex(q.rand), to_hex(vector.rand));
  EXPECT_EQ(q.generation, 1U);
  ASSERT_EQ(q.host_challenge.size(), eaptsk::kNonceSize);
  EXPECT_EQ(to_hex(q.mn_auth), to_hex(crypto::mn_auth(vector.tsk, q.host_challenge, kNai)))
      << "MN_AUTH as the mobile computed it from the TSK (sec. 2)";

  home_.answer_home_auth(crypto::home_auth(kK, q.host_challenge, kVisitedRealm, q.mn_auth));
  pump(*m);
  expect_accepted(*m);
  EXPECT_TRUE(m->peer.home_authenticated());
  EXPECT_EQ(home_.home_auth_requests, 1);
}

TEST_F(EapTskServerTest, HomeAuthenticationFailureIsRejected) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1, true);
  begin(*m);
  home_.answer_home_auth(std::nullopt, "MN_AUTH_FAILED (5405)");
  pump(*m);
  // sec. 5 step 4: the Confirm goes without AT_HOME_AUTH and the mobile refuses it.
  EXPECT_EQ(m->peer.last_error_sent(), eaptsk::ErrorCode::HomeAuthFailed);
  expect_rejected(*m, "home authentication failed");
  EXPECT_FALSE(m->peer.home_authenticated());
}

TEST_F(EapTskServerTest, WrongHomeAuthDataIsRejected) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1, true);
  begin(*m);
  const HomeAuthQuery q = home_.pending_home_auths.front().query;
  home_.answer_home_auth(crypto::home_auth(kWrongK, q.host_challenge, kVisitedRealm, q.mn_auth));
  pump(*m);
  EXPECT_EQ(m->peer.last_error_sent(), eaptsk::ErrorCode::HomeAuthFailed);
  expect_rejected(*m, "home authentication failed");
}

// --- key update (sec. 5 steps 7-11) -----------------------------------------

TEST_F(EapTskServerTest, PendingVectorIsInstalledByAKeyUpdate) {
  RecordingUpdateSink updates;
  server_->set_update_sink(&updates);
  authenticate_from_home(1);
  EXPECT_TRUE(updates.reports.empty()) << "no update attempted, nothing to report";
  ASSERT_EQ(cache_.set_pending(kNai, issue(2), now_), StoreResult::kStored);
  auto m = mobile("s2", kNai, 1);
  begin(*m);
  expect_accepted(*m);
  EXPECT_TRUE(m->peer.updated());
  EXPECT_EQ(m->peer.highest_generation(), 2U);
  EXPECT_FALSE(cache_.pending(kNai, now_)) << "promoted";
  ASSERT_EQ(updates.reports.size(), 1U) << "claim 25: the home hears of the update";
  EXPECT_EQ(updates.reports[0].nai, kNai);
  EXPECT_EQ(updates.reports[0].home_realm, kHomeRealm);
  EXPECT_EQ(updates.reports[0].generation, 2U);
  EXPECT_EQ(updates.reports[0].status, KeyUpdateStatus::Updated);

  auto next = mobile("s3", kNai, 2);
  begin(*next);
  expect_accepted(*next);
  EXPECT_EQ(next->peer.generation(), 2U) << "the cache now holds the updated vector";
  EXPECT_EQ(home_.vector_requests, 1);
}

TEST_F(EapTskServerTest, KeyUpdateRefusedByTheMobileKeepsTheOldVector) {
  authenticate_from_home(1);
  ASSERT_EQ(cache_.set_pending(kNai, issue(2), now_), StoreResult::kStored);
  eaptsk::PeerFaults faults;
  faults.reject_update = true;
  RecordingUpdateSink updates;
  server_->set_update_sink(&updates);
  auto m = mobile("s2", kNai, 1, false, kK, faults);
  begin(*m);
  expect_rejected(*m, "key update rejected");
  EXPECT_EQ(m->peer.highest_generation(), 1U);
  const auto lease = cache_.acquire(kNai, now_);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->generation, 1U);
  EXPECT_FALSE(cache_.pending(kNai, now_)) << "the refused vector is dropped";
  ASSERT_EQ(updates.reports.size(), 1U);
  EXPECT_EQ(updates.reports[0].generation, 2U);
  EXPECT_EQ(updates.reports[0].status, KeyUpdateStatus::RejectedByMn);
}

// --- Delegation-Revoke during a conversation ---------------------------------

TEST_F(EapTskServerTest, RevocationFailsAConversationAtItsNextMessage) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1);
  m->last = der(m->session, m->peer.identity_response(0));
  ASSERT_EQ(m->reply().kind, Kind::Continue) << "the Challenge";
  now_ += 1s;
  server_->revoke(kNai);
  pump(*m);
  expect_rejected(*m, "revoked");
  EXPECT_EQ(server_->conversations(), 0U);
  EXPECT_EQ(server_->stats().rejected, 1U);
}

TEST_F(EapTskServerTest, RevocationSparesOtherNaisAndLaterConversations) {
  authenticate_from_home(1);
  auto other = mobile("s-bob", "bob@home.example");
  begin(*other);
  home_.answer_vector(issue(1));
  ASSERT_EQ(other->reply().kind, Kind::Continue);
  now_ += 1s;
  server_->revoke(kNai);
  pump(*other);
  expect_accepted(*other);

  now_ += 1s;
  auto later = mobile("s-later", kNai, 1);
  begin(*later);
  // The revocation predates this conversation's vector.
  expect_accepted(*later);
}

// --- conversation lifetime ----------------------------------------------------

TEST_F(EapTskServerTest, SweepFreesAConversationIdlePastItsTimeout) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1);
  m->last = der(m->session, m->peer.identity_response(0));
  ASSERT_EQ(m->reply().kind, Kind::Continue) << "the Challenge; the client then goes silent";
  EXPECT_EQ(server_->conversations(), 1U);

  now_ += 29s;
  EXPECT_EQ(server_->sweep(), 0U);
  EXPECT_EQ(server_->conversations(), 1U);
  now_ += 1s;
  EXPECT_EQ(server_->sweep(), 1U);
  EXPECT_EQ(server_->conversations(), 0U);
  EXPECT_EQ(server_->stats().abandoned, 1U);
  EXPECT_EQ(server_->sweep(), 0U);
  EXPECT_EQ(m->last->calls, 1) << "an idle conversation owes no reply";
}

TEST_F(EapTskServerTest, ActivityPostponesTheDeadline) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1);
  m->last = der(m->session, m->peer.identity_response(0));
  ASSERT_EQ(m->reply().kind, Kind::Continue);
  now_ += 20s;
  const auto step = m->peer.handle(m->reply().eap_payload);
  ASSERT_TRUE(step.response);
  m->last = der(m->session, *step.response);
  ASSERT_EQ(m->reply().kind, Kind::Continue) << "the Confirm";
  now_ += 20s;  // 40 s after the start, 20 s after the last DER
  EXPECT_EQ(server_->sweep(), 0U);
  pump(*m);
  expect_accepted(*m);
}

TEST_F(EapTskServerTest, SweepRejectsAConversationStillWaitingOnTheHomeOnce) {
  auto m = mobile("s1");
  begin(*m);
  ASSERT_EQ(home_.pending_vectors.size(), 1U);
  now_ += 31s;
  EXPECT_EQ(server_->sweep(), 1U);
  ASSERT_TRUE(m->last->reply);
  EXPECT_EQ(m->last->calls, 1);
  EXPECT_EQ(m->reply().kind, Kind::Reject);
  EXPECT_EQ(code_of(m->reply().eap_payload), EapCode::Failure);
  EXPECT_TRUE(contains(m->reply().reason, "timed out")) << m->reply().reason;
  EXPECT_EQ(server_->conversations(), 0U);
  EXPECT_EQ(server_->stats().abandoned, 1U);

  // The home's late answer finds no conversation: no crash, no second reply.
  home_.answer_vector(issue(1));
  EXPECT_EQ(server_->sweep(), 0U);
  EXPECT_EQ(m->last->calls, 1);

  // The late vector was still worth caching.
  auto next = mobile("s2");
  begin(*next);
  expect_accepted(*next);
  EXPECT_EQ(home_.vector_requests, 1);
}

TEST_F(EapTskServerTest, SweepRejectsAConversationWaitingOnHomeAuthentication) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1, true);
  begin(*m);
  ASSERT_EQ(home_.pending_home_auths.size(), 1U);
  now_ += 30s;
  EXPECT_EQ(server_->sweep(), 1U);
  EXPECT_EQ(m->last->calls, 1);
  EXPECT_EQ(m->reply().kind, Kind::Reject);

  const HomeAuthQuery q = home_.pending_home_auths.front().query;
  home_.answer_home_auth(crypto::home_auth(kK, q.host_challenge, kVisitedRealm, q.mn_auth));
  EXPECT_EQ(m->last->calls, 1);
  EXPECT_EQ(server_->conversations(), 0U);
}

TEST_F(EapTskServerTest, DelegationTimeoutRejectsTheWaitingConversations) {
  make_server(100, /*timeout=*/120s);  // longer than the cache's 30 s fetch timeout
  auto a = mobile("s-a");
  auto b = mobile("s-b");
  begin(*a);
  begin(*b);
  now_ += 30s;
  EXPECT_EQ(server_->sweep(), 0U) << "the conversations themselves are not idle yet";
  expect_rejected(*a, "vector unavailable");
  expect_rejected(*b, "vector unavailable");
  EXPECT_EQ(server_->conversations(), 0U);
  EXPECT_EQ(server_->stats().rejected, 2U);

  home_.answer_vector(issue(1));  // too late for them, still cached
  auto c = mobile("s-c");
  begin(*c);
  expect_accepted(*c);
  EXPECT_EQ(home_.vector_requests, 1);
}

TEST_F(EapTskServerTest, DerWhileTheFormerWaitsOnHomeAuthenticationIsAnError) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1, true);
  begin(*m);
  ASSERT_EQ(home_.pending_home_auths.size(), 1U);
  const auto waiting = m->last;
  const auto extra = der(m->session, {0x02, 0x00, 0x00, 0x04});
  ASSERT_TRUE(extra->reply);
  EXPECT_EQ(extra->reply->kind, Kind::Error);
  EXPECT_FALSE(waiting->reply);

  const HomeAuthQuery q = home_.pending_home_auths.front().query;
  home_.answer_home_auth(crypto::home_auth(kK, q.host_challenge, kVisitedRealm, q.mn_auth));
  pump(*m);
  expect_accepted(*m);
  EXPECT_TRUE(m->peer.home_authenticated());
}

TEST_F(EapTskServerTest, FullTableAnswersTooBusy) {
  make_server(/*max_conversations=*/1);
  auto a = mobile("s-a");
  begin(*a);
  ASSERT_FALSE(a->last->reply);

  auto b = mobile("s-b");
  b->last = der(b->session, b->peer.identity_response(0));
  ASSERT_TRUE(b->last->reply);
  EXPECT_EQ(b->reply().kind, Kind::TooBusy);
  EXPECT_FALSE(b->reply().reason.empty());
  EXPECT_EQ(server_->conversations(), 1U);

  home_.answer_vector(issue(1));
  pump(*a);
  expect_accepted(*a);

  // Room again once the first conversation is over.
  begin(*b);
  expect_accepted(*b);
}

TEST_F(EapTskServerTest, FullTableStillServesTheConversationsInIt) {
  authenticate_from_home(1);
  make_server(/*max_conversations=*/1);
  auto a = mobile("s-a", kNai, 1);
  a->last = der(a->session, a->peer.identity_response(0));
  ASSERT_EQ(a->reply().kind, Kind::Continue);
  ASSERT_EQ(server_->conversations(), 1U);
  // The DERs that continue a conversation of a full table are no new conversations.
  pump(*a);
  expect_accepted(*a);
}

TEST_F(EapTskServerTest, DerWhileTheFormerWaitsOnTheHomeIsAnError) {
  auto m = mobile("s1");
  begin(*m);
  const auto first = m->last;
  ASSERT_FALSE(first->reply);

  // RFC 4072 sec. 3: one DER at a time per session.
  const auto second = der(m->session, eaptsk::build_identity_response(0, kNai));
  ASSERT_TRUE(second->reply);
  EXPECT_EQ(second->reply->kind, Kind::Error);
  EXPECT_FALSE(second->reply->reason.empty());
  EXPECT_FALSE(first->reply) << "the first DER is still waiting";
  EXPECT_EQ(home_.vector_requests, 1);

  home_.answer_vector(issue(1));
  ASSERT_TRUE(first->reply);
  pump(*m);
  expect_accepted(*m);
}

TEST_F(EapTskServerTest, EmptyFirstPayloadStartsWithIdentityRequest) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1);
  m->last = der(m->session, {});
  ASSERT_EQ(m->reply().kind, Kind::Continue);
  const auto header = eaptsk::parse_eap_header(m->reply().eap_payload);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->code, EapCode::Request);
  EXPECT_EQ(header->type, eaptsk::kEapTypeIdentity);
  pump(*m);
  expect_accepted(*m);
}

TEST_F(EapTskServerTest, MalformedFirstPayloadIsRejected) {
  auto m = mobile("s1");
  m->last = der(m->session, {0xde, 0xad, 0xbe, 0xef});
  expect_rejected(*m, "invalid identity");
  EXPECT_EQ(home_.vector_requests, 0);
  EXPECT_EQ(server_->conversations(), 0U);
}

TEST_F(EapTskServerTest, EmptyPayloadInAnOngoingConversationIsRejected) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1);
  m->last = der(m->session, {});
  ASSERT_EQ(m->reply().kind, Kind::Continue);
  m->last = der(m->session, {});
  expect_rejected(*m, "invalid identity");
}

TEST_F(EapTskServerTest, MalformedResponseMidConversationEndsInReject) {
  authenticate_from_home(1);
  auto m = mobile("s2", kNai, 1);
  m->last = der(m->session, m->peer.identity_response(0));
  ASSERT_EQ(m->reply().kind, Kind::Continue);
  const auto challenge = eaptsk::parse_eap_header(m->reply().eap_payload);
  ASSERT_TRUE(challenge);

  // An EAP-Response of the right identifier whose EAP-TSK body is cut short.
  Bytes truncated = {2, challenge->identifier, 0, 7, eaptsk::kEapTypeExpanded, 0x00, 0x7e};
  m->last = der(m->session, truncated);
  ASSERT_EQ(m->reply().kind, Kind::Continue) << "sec. 5: answered with Error first";
  const auto error = eaptsk::decode(m->reply().eap_payload);
  ASSERT_TRUE(error);
  EXPECT_EQ(error.packet->op, eaptsk::Op::Error);

  m->last = der(m->session, {0x00});
  expect_rejected(*m, "malformed message");
  EXPECT_EQ(server_->conversations(), 0U);
  // The cached vector is untouched.
  auto next = mobile("s3", kNai, 1);
  begin(*next);
  expect_accepted(*next);
}

TEST_F(EapTskServerTest, SessionIdCanBeReusedAfterTheConversationEnded) {
  authenticate_from_home(1);
  auto first = mobile("s-same", kNai, 1);
  begin(*first);
  expect_accepted(*first);
  auto second = mobile("s-same", kNai, 1);
  begin(*second);
  expect_accepted(*second);
}

TEST_F(EapTskServerTest, StatsCountOutcomes) {
  make_server(/*max_conversations=*/1);
  EXPECT_EQ(server_->stats().accepted, 0U);
  EXPECT_EQ(server_->stats().rejected, 0U);
  EXPECT_EQ(server_->stats().abandoned, 0U);

  authenticate_from_home(1);
  auto rejected = mobile("s-rej", kNai, 1, false, kWrongK);
  begin(*rejected);
  expect_rejected(*rejected, "invalid MAC");

  auto idle = mobile("s-idle", kNai, 1);
  idle->last = der(idle->session, idle->peer.identity_response(0));
  ASSERT_EQ(idle->reply().kind, Kind::Continue);
  // Refusals for want of room and protocol errors are no authentication outcomes.
  auto busy = mobile("s-busy", kNai, 1);
  busy->last = der(busy->session, busy->peer.identity_response(0));
  EXPECT_EQ(busy->reply().kind, Kind::TooBusy);
  now_ += 60s;
  EXPECT_EQ(server_->sweep(), 1U);

  const auto stats = server_->stats();
  EXPECT_EQ(stats.accepted, 1U);
  EXPECT_EQ(stats.rejected, 1U);
  EXPECT_EQ(stats.abandoned, 1U);
}

}  // namespace
}  // namespace roamkey::visited

namespace roamkey::visited {
namespace {

class Durations final : public metrics::Distribution {
 public:
  void observe(double v) override { values.push_back(v); }
  std::vector<double> values;
};

TEST_F(EapTskServerTest, CountsOutcomesByReasonAndTimesWholeAuthentications) {
  Durations durations;
  server_->set_duration_sink(&durations);
  auto m = mobile("s1");
  begin(*m);
  now_ += 40ms;  // the home takes 40 ms to answer
  home_.answer_vector(issue(1));
  pump(*m);
  expect_accepted(*m);
  ASSERT_EQ(durations.values.size(), 1U);
  EXPECT_DOUBLE_EQ(durations.values[0], 0.040);

  auto bad = mobile("s2", kNai, 0, false, Bytes(32, 0x77));  // the wrong K
  begin(*bad);
  pump(*bad);
  const auto s = server_->stats();
  EXPECT_EQ(s.accepted, 1U);
  EXPECT_EQ(s.rejected, 1U);
  EXPECT_EQ(s.rejected_by[static_cast<std::size_t>(eaptsk::FailureReason::NetworkAuthFailed)] +
                s.rejected_by[static_cast<std::size_t>(eaptsk::FailureReason::InvalidMac)],
            1U);
  EXPECT_EQ(durations.values.size(), 2U) << "a rejection is timed too";
  std::uint64_t sum = 0;
  for (auto v : s.rejected_by) sum += v;
  EXPECT_EQ(sum, s.rejected);
}

TEST_F(EapTskServerTest, RefusedAndAbandonedConversationsAreCountedApart) {
  make_server(/*max_conversations=*/1);
  auto a = mobile("s-a");
  begin(*a);  // waits on the home
  auto b = mobile("s-b");
  b->last = der(b->session, b->peer.identity_response(0));
  ASSERT_EQ(b->reply().kind, Kind::TooBusy);
  now_ += 31s;
  server_->sweep();
  const auto s = server_->stats();
  EXPECT_EQ(s.too_busy, 1U);
  EXPECT_EQ(s.abandoned, 1U);
  EXPECT_EQ(s.abandoned_waiting_home, 1U);
}

TEST(RejectReasonLabel, EveryReasonHasItsOwnSnakeCaseName) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < kRejectReasons; ++i) {
    const std::string label(reject_reason_label(i));
    EXPECT_NE(label, "unknown") << i;
    EXPECT_EQ(label.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string::npos) << label;
    EXPECT_TRUE(seen.insert(label).second) << label;
  }
  EXPECT_EQ(reject_reason_label(kRejectReasons), "unknown");
}

}  // namespace
}  // namespace roamkey::visited
