// Peer behaviour that the authenticator tests do not reach: requests a
// correct server never sends.

#include <gtest/gtest.h>

#include "crypto/kdf.h"
#include "eaptsk/authenticator.h"
#include "eaptsk/eap.h"
#include "eaptsk/packet.h"
#include "eaptsk/peer.h"
#include "support.h"

namespace roamkey::eaptsk {
namespace {

using test::as;
using test::FakeHome;
using test::kK;
using test::kNai;
using test::kRealm;
using test::ScriptedRandom;

class PeerTest : public ::testing::Test {
 protected:
  ScriptedRandom random{{}, false, 0x80};
  ScriptedRandom server_random{{}, false, 0x10};
  FakeHome home;

  Peer make_peer(std::uint32_t highest = 0, bool want_home_auth = false) {
    return Peer(kNai, crypto::SecretBytes(kK), highest, want_home_auth, random);
  }

  static Bytes challenge(std::uint32_t generation, std::uint8_t id = 1) {
    Packet p;
    p.identifier = id;
    p.op = Op::Challenge;
    p.rand = Bytes(16, 0xa0);
    p.key_gen = generation;
    p.realm = "visited.example";
    p.nonce_s = Bytes(16, 0x51);
    return encode(p);
  }
};

TEST_F(PeerTest, AnswersIdentityRequests) {
  Peer peer = make_peer();
  const PeerStep step = peer.handle(build_identity_request(9));
  ASSERT_TRUE(step.response.has_value());
  EXPECT_EQ(*step.response, build_identity_response(9, kNai));
  EXPECT_EQ(step.status, PeerStatus::InProgress);
}

TEST_F(PeerTest, NaksForeignMethods) {
  Peer peer = make_peer();
  const PeerStep step = peer.handle(crypto::from_hex("0105000604aa"));
  EXPECT_EQ(*step.response, build_nak_response(5));
}

TEST_F(PeerTest, DiscardsWhatIsNotAnEapRequest) {
  Peer peer = make_peer();
  EXPECT_FALSE(peer.handle(crypto::from_hex("01")).response.has_value());
  EXPECT_FALSE(peer.handle(crypto::from_hex("0101000601")).response.has_value());  // bad length
  EXPECT_FALSE(peer.handle(build_identity_response(1, "x")).response.has_value());
  EXPECT_EQ(peer.status(), PeerStatus::InProgress);
}

TEST_F(PeerTest, OlderGenerationIsStaleWithoutMac) {
  Peer peer = make_peer(/*highest=*/8);
  const PeerStep step = peer.handle(challenge(7));
  ASSERT_TRUE(step.response.has_value());
  const Packet error = *decode(*step.response).packet;
  EXPECT_EQ(error.op, Op::Error);
  EXPECT_EQ(error.identifier, 1);
  EXPECT_EQ(error.error_code, ErrorCode::StaleGeneration);
  EXPECT_FALSE(error.mac.has_value());
  EXPECT_EQ(peer.status(), PeerStatus::InProgress);
  // A newer Challenge is still welcome.
  const PeerStep next = peer.handle(challenge(9, 2));
  EXPECT_EQ(decode(*next.response).packet->op, Op::ChallengeResponse);
  EXPECT_EQ(peer.generation(), 9u);
}

TEST_F(PeerTest, SameGenerationIsAccepted) {
  Peer peer = make_peer(/*highest=*/7);
  EXPECT_EQ(decode(*peer.handle(challenge(7)).response).packet->op, Op::ChallengeResponse);
}

TEST_F(PeerTest, RetransmittedRequestGetsTheSameResponse) {
  Peer peer = make_peer();
  const Bytes request = challenge(7);
  const PeerStep first = peer.handle(request);
  const PeerStep again = peer.handle(request);
  EXPECT_EQ(first.response, again.response);  // same NONCE_P, no second derivation
}

TEST_F(PeerTest, SuccessBeforeTheNetworkIsAuthenticatedFails) {
  Peer peer = make_peer();
  peer.handle(challenge(7));
  const PeerStep step = peer.handle(build_success(1));
  EXPECT_EQ(step.status, PeerStatus::Failed);
  EXPECT_EQ(peer.highest_generation(), 0u);
  // Terminal: later packets change nothing.
  EXPECT_FALSE(peer.handle(challenge(7, 2)).response.has_value());
  EXPECT_EQ(peer.status(), PeerStatus::Failed);
}

TEST_F(PeerTest, FailureEndsTheConversation) {
  Peer peer = make_peer(4);
  peer.handle(challenge(7));
  EXPECT_EQ(peer.handle(build_failure(1)).status, PeerStatus::Failed);
  EXPECT_EQ(peer.highest_generation(), 4u);
}

TEST_F(PeerTest, MalformedRequestIsAnsweredWithError) {
  Peer peer = make_peer();
  Bytes dup = challenge(7);
  const Bytes extra = crypto::from_hex(
      "00040010"
      "52525252525252525252525252525252");
  dup.insert(dup.end(), extra.begin(), extra.end());
  dup[3] = static_cast<std::uint8_t>(dup.size());
  const Packet error = *decode(*peer.handle(dup).response).packet;
  EXPECT_EQ(error.error_code, ErrorCode::Malformed);
  EXPECT_FALSE(error.mac.has_value());  // no K_AUT yet
  EXPECT_EQ(peer.last_error_sent(), ErrorCode::Malformed);
  // Further requests get the same Error until the Failure.
  const Packet again = *decode(*peer.handle(challenge(7, 2)).response).packet;
  EXPECT_EQ(again.error_code, ErrorCode::Malformed);
  EXPECT_EQ(peer.handle(build_failure(2)).status, PeerStatus::Failed);
}

TEST_F(PeerTest, WrongAttributeLengthIsMalformed) {
  Peer peer = make_peer();
  Bytes bad = challenge(7);
  bad[bad.size() - 17] = 15;  // AT_NONCE_S Length 16 -> 15: one byte left over
  const Packet error = *decode(*peer.handle(bad).response).packet;
  EXPECT_EQ(error.error_code, ErrorCode::Malformed);
}

TEST_F(PeerTest, UnexpectedOpIsMalformed) {
  Peer peer = make_peer();
  Packet proof;
  proof.identifier = 1;
  proof.op = Op::UpdateProof;
  proof.auth_net = Bytes(32, 0);
  proof.nonce_u = Bytes(16, 0);
  proof.mac = Bytes(16, 0);
  EXPECT_EQ(decode(*peer.handle(encode(proof)).response).packet->error_code, ErrorCode::Malformed);
}

TEST_F(PeerTest, ServerErrorIsEchoedAndRecorded) {
  Peer peer = make_peer();
  peer.handle(challenge(7));
  Packet error;
  error.identifier = 2;
  error.op = Op::Error;
  error.error_code = ErrorCode::InvalidMac;
  error.mac = Bytes(16, 0);
  const PeerStep step = peer.handle(encode(error));
  const Packet echo = *decode(*step.response).packet;
  EXPECT_EQ(echo.code, EapCode::Response);
  EXPECT_EQ(echo.identifier, 2);
  EXPECT_EQ(echo.error_code, ErrorCode::InvalidMac);
  EXPECT_TRUE(echo.mac.has_value());  // K_AUT exists
  EXPECT_EQ(peer.last_error_received(), ErrorCode::InvalidMac);
}

TEST_F(PeerTest, UpdateToAGenerationNotNewerIsRefused) {
  // Run a real conversation up to the Update-Request, with the update at the current generation.
  Authenticator auth(kRealm, server_random);
  Peer peer = make_peer();
  ASSERT_TRUE(auth.set_pending_update(home.vector(7, 0xb0)));
  test::Driver driver{auth, peer};
  const Action end = driver.run();
  ASSERT_TRUE(std::holds_alternative<Failure>(end));
  EXPECT_EQ(std::get<Failure>(end).update, UpdateResult::RejectedByMn);
  EXPECT_EQ(peer.last_error_sent(), ErrorCode::StaleGeneration);
  EXPECT_FALSE(peer.updated());
}

TEST_F(PeerTest, RejectsEmptyIdentityOrKey) {
  EXPECT_THROW(Peer("", crypto::SecretBytes(kK), 0, false, random), std::invalid_argument);
  EXPECT_THROW(Peer(kNai, crypto::SecretBytes(), 0, false, random), std::invalid_argument);
}

}  // namespace
}  // namespace roamkey::eaptsk
