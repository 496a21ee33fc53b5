// Authenticator behaviour of protocol.md section 5 "Conversations", mostly
// run against a real Peer; packets are forged where a Peer would not misbehave.

#include <gtest/gtest.h>

#include <stdexcept>

#include "crypto/hmac.h"
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
using test::request_of;
using test::ScriptedRandom;

class AuthenticatorTest : public ::testing::Test {
 protected:
  ScriptedRandom server_random{{}, false, 0x10};
  ScriptedRandom peer_random{{}, false, 0x80};
  FakeHome home;
  Authenticator auth{kRealm, server_random};

  Peer make_peer(std::uint32_t highest = 0, bool want_home_auth = false, PeerFaults faults = {}, const Bytes& k = kK) {
    return Peer(kNai, crypto::SecretBytes(k), highest, want_home_auth, peer_random, faults);
  }

  // Brings the conversation to AwaitChallengeResponse and returns the Challenge.
  Bytes to_challenge(std::uint32_t generation = 7) {
    auth.on_response(build_identity_response(0, kNai));
    return as<SendRequest>(auth.provide_vector(home.vector(generation))).packet;
  }
};

void expect_failure(const Action& action, FailureReason reason) {
  ASSERT_TRUE(std::holds_alternative<Failure>(action)) << "expected a Failure";
  const auto& failure = std::get<Failure>(action);
  EXPECT_EQ(failure.reason, reason) << failure_reason_name(failure.reason) << ": " << failure.detail;
  EXPECT_EQ(failure.packet.size(), 4u);
  EXPECT_EQ(failure.packet[0], 4);  // EAP-Failure
}

TEST_F(AuthenticatorTest, StartAsksForTheIdentityThenNumbersRequestsFromTheResponse) {
  const Action first = auth.start();
  EXPECT_EQ(crypto::to_hex(as<SendRequest>(first).packet), "0100000501");
  EXPECT_EQ(auth.state(), Authenticator::State::AwaitIdentity);
  const Action need = auth.on_response(build_identity_response(0, kNai));
  EXPECT_EQ(as<NeedVector>(need).nai, kNai);
  EXPECT_FALSE(as<NeedVector>(need).refresh);
  EXPECT_EQ(auth.nai(), kNai);
  const Packet challenge = request_of(auth.provide_vector(home.vector(7)));
  EXPECT_EQ(challenge.identifier, 1);
  EXPECT_EQ(challenge.op, Op::Challenge);
  EXPECT_EQ(challenge.realm, "visited.example");  // lower-cased visited realm
  EXPECT_EQ(challenge.key_gen, 7u);
  EXPECT_EQ(challenge.rand, home.vector(7).rand);
}

TEST_F(AuthenticatorTest, IdentifierWrapsAround) {
  auth.on_response(build_identity_response(255, kNai));
  EXPECT_EQ(request_of(auth.provide_vector(home.vector(7))).identifier, 0);
}

TEST_F(AuthenticatorTest, IdentityWithWrongIdentifierAfterStartFails) {
  auth.start();
  expect_failure(auth.on_response(build_identity_response(1, kNai)), FailureReason::InvalidIdentity);
  EXPECT_TRUE(auth.done());
}

TEST_F(AuthenticatorTest, FirstMessageMustBeAUsableIdentity) {
  expect_failure(auth.on_response(crypto::from_hex("0200")), FailureReason::InvalidIdentity);
  Authenticator empty(kRealm, server_random);
  expect_failure(empty.on_response(build_identity_response(0, "")), FailureReason::InvalidIdentity);
  Authenticator too_long(kRealm, server_random);
  expect_failure(too_long.on_response(build_identity_response(0, std::string(254, 'a'))),
                 FailureReason::InvalidIdentity);
  Authenticator request(kRealm, server_random);
  expect_failure(request.on_response(build_identity_request(0)), FailureReason::InvalidIdentity);
  Authenticator nak(kRealm, server_random);
  expect_failure(nak.on_response(build_nak_response(0)), FailureReason::InvalidIdentity);
}

TEST_F(AuthenticatorTest, PlainAuthenticationSucceedsWithMatchingKeys) {
  Peer peer = make_peer();
  test::Driver driver{auth, peer};
  const Action end = driver.run();
  const auto& success = as<Success>(end);
  EXPECT_EQ(success.packet, build_success(2));  // Challenge 1, Confirm 2
  EXPECT_EQ(success.generation, 7u);
  EXPECT_FALSE(success.home_authenticated);
  EXPECT_EQ(success.update, UpdateResult::NotAttempted);
  EXPECT_FALSE(success.update_generation.has_value());
  EXPECT_EQ(success.msk.size(), 64u);
  EXPECT_EQ(crypto::to_hex(success.msk), crypto::to_hex(peer.msk()));
  EXPECT_EQ(crypto::to_hex(success.emsk), crypto::to_hex(peer.emsk()));
  EXPECT_EQ(success.session_id, peer.session_id());
  ASSERT_EQ(success.session_id.size(), 33u);
  EXPECT_EQ(success.session_id[0], 0xfe);
  EXPECT_EQ(peer.status(), PeerStatus::Succeeded);
  EXPECT_EQ(peer.highest_generation(), 7u);
  EXPECT_FALSE(peer.home_authenticated());
  // The Confirm carries no AT_HOME_AUTH when the peer did not ask.
  EXPECT_FALSE(decode(driver.requests[1]).packet->home_auth.has_value());
}

TEST_F(AuthenticatorTest, VectorUnavailableFails) {
  auth.on_response(build_identity_response(3, kNai));
  const Action end = auth.vector_unavailable("DLA 5401");
  expect_failure(end, FailureReason::VectorUnavailable);
  EXPECT_EQ(as<Failure>(end).packet, build_failure(3));
  EXPECT_NE(as<Failure>(end).detail.find("DLA 5401"), std::string::npos);
}

TEST_F(AuthenticatorTest, BadMacIsAnsweredWithErrorThenFailure) {
  Peer peer = make_peer(0, false, PeerFaults{.corrupt_mac = true});
  test::Driver driver{auth, peer};
  const Action end = driver.run();
  expect_failure(end, FailureReason::InvalidMac);
  // Challenge, Error, Failure.
  ASSERT_EQ(driver.requests.size(), 3u);
  const Packet error = *decode(driver.requests[1]).packet;
  EXPECT_EQ(error.op, Op::Error);
  EXPECT_EQ(error.error_code, ErrorCode::InvalidMac);
  EXPECT_EQ(error.identifier, 2);
  // K_AUT exists by then, so the Error carries AT_MAC under the server's K_AUT.
  const Packet challenge = *decode(driver.requests[0]).packet;
  const Packet response = *decode(driver.responses[1]).packet;
  const auto k_aut = test::k_aut_for(home.vector(7), *response.nonce_p, *challenge.nonce_s);
  EXPECT_TRUE(verify_mac(driver.requests[1], error, k_aut));
  EXPECT_EQ(as<Failure>(end).packet, build_failure(2));
  EXPECT_EQ(peer.status(), PeerStatus::Failed);
  EXPECT_EQ(peer.last_error_received(), ErrorCode::InvalidMac);
}

TEST_F(AuthenticatorTest, WrongKAtPeerFailsAndChangesNothing) {
  Bytes wrong_k = kK;
  wrong_k[0] ^= 0xff;
  Peer peer = make_peer(5, false, {}, wrong_k);
  ASSERT_TRUE(auth.set_pending_update(home.vector(9, 0xb0)));
  test::Driver driver{auth, peer};
  const Action end = driver.run();
  expect_failure(end, FailureReason::InvalidMac);
  EXPECT_EQ(as<Failure>(end).update, UpdateResult::NotAttempted);  // the update never began
  EXPECT_EQ(peer.status(), PeerStatus::Failed);
  EXPECT_EQ(peer.highest_generation(), 5u);
  EXPECT_FALSE(peer.updated());
}

TEST_F(AuthenticatorTest, StaleGenerationFetchesAFreshVectorOnce) {
  Peer peer = make_peer(/*highest=*/10);
  test::Driver driver{auth, peer};
  driver.on_need_vector = [this](Authenticator& a, const NeedVector& need) {
    return a.provide_vector(home.vector(need.refresh ? 11 : 7, need.refresh ? 0xa1 : 0xa0));
  };
  const Action end = driver.run();
  ASSERT_EQ(driver.vector_requests.size(), 2u);
  EXPECT_FALSE(driver.vector_requests[0].refresh);
  EXPECT_TRUE(driver.vector_requests[1].refresh);
  EXPECT_EQ(driver.vector_requests[1].min_generation, 8u);
  EXPECT_EQ(driver.vector_requests[1].nai, kNai);
  // The peer's STALE_GENERATION carries no AT_MAC (no K_AUT yet).
  const Packet stale = *decode(driver.responses[1]).packet;
  EXPECT_EQ(stale.op, Op::Error);
  EXPECT_EQ(stale.error_code, ErrorCode::StaleGeneration);
  EXPECT_FALSE(stale.mac.has_value());
  // The new Challenge follows with the next identifier.
  EXPECT_EQ(decode(driver.requests[1]).packet->identifier, 2);
  EXPECT_EQ(decode(driver.requests[1]).packet->key_gen, 11u);
  EXPECT_EQ(as<Success>(end).generation, 11u);
  EXPECT_EQ(peer.highest_generation(), 11u);
}

TEST_F(AuthenticatorTest, SecondStaleGenerationFails) {
  Peer peer = make_peer(/*highest=*/10);
  test::Driver driver{auth, peer};
  driver.on_need_vector = [this](Authenticator& a, const NeedVector& need) {
    return a.provide_vector(home.vector(need.refresh ? 9 : 7));
  };
  const Action end = driver.run();
  expect_failure(end, FailureReason::StaleGeneration);
  EXPECT_EQ(driver.vector_requests.size(), 2u);
  EXPECT_EQ(peer.status(), PeerStatus::Failed);
  EXPECT_EQ(peer.highest_generation(), 10u);
}

TEST_F(AuthenticatorTest, FreshVectorNoNewerThanTheRejectedOneFails) {
  Peer peer = make_peer(/*highest=*/10);
  test::Driver driver{auth, peer};
  driver.on_need_vector = [this](Authenticator& a, const NeedVector&) { return a.provide_vector(home.vector(7)); };
  expect_failure(driver.run(), FailureReason::StaleGeneration);
  EXPECT_EQ(driver.vector_requests.size(), 2u);
}

TEST_F(AuthenticatorTest, HomeAuthenticationCarriesHomeAuthData) {
  Peer peer = make_peer(0, /*want_home_auth=*/true);
  test::Driver driver{auth, peer};
  std::optional<NeedHomeAuth> seen;
  driver.on_need_home_auth = [&](const NeedHomeAuth& need) {
    seen = need;
    return std::optional<Bytes>(home.home_auth(need));
  };
  const Action end = driver.run();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->nai, kNai);
  EXPECT_EQ(seen->generation, 7u);
  EXPECT_EQ(seen->rand, home.vector(7).rand);
  EXPECT_EQ(seen->host_challenge.size(), 16u);
  // MN_AUTH = KDF(TSK, "RoamKey MN-AUTH", HOST_CHALLENGE, NAI).
  EXPECT_EQ(seen->mn_auth, crypto::mn_auth(home.vector(7).tsk, seen->host_challenge, kNai));
  EXPECT_TRUE(as<Success>(end).home_authenticated);
  EXPECT_TRUE(peer.home_authenticated());
}

TEST_F(AuthenticatorTest, FailedHarSendsConfirmWithoutHomeAuthAndThePeerFails) {
  Peer peer = make_peer(3, /*want_home_auth=*/true);
  test::Driver driver{auth, peer};
  driver.on_need_home_auth = [](const NeedHomeAuth&) { return std::nullopt; };
  const Action end = driver.run();
  expect_failure(end, FailureReason::HomeAuthFailed);
  const Packet confirm = *decode(driver.requests[1]).packet;
  EXPECT_EQ(confirm.op, Op::Confirm);
  EXPECT_FALSE(confirm.home_auth.has_value());
  const Packet error = *decode(driver.responses[2]).packet;
  EXPECT_EQ(error.error_code, ErrorCode::HomeAuthFailed);
  EXPECT_TRUE(error.mac.has_value());
  EXPECT_EQ(peer.highest_generation(), 3u);
  EXPECT_EQ(peer.status(), PeerStatus::Failed);
}

TEST_F(AuthenticatorTest, WrongHomeAuthDataFailsAtThePeer) {
  Peer peer = make_peer(0, /*want_home_auth=*/true);
  test::Driver driver{auth, peer};
  driver.on_need_home_auth = [](const NeedHomeAuth&) { return std::optional<Bytes>(Bytes(32, 0x4b)); };
  expect_failure(driver.run(), FailureReason::HomeAuthFailed);
  EXPECT_FALSE(peer.home_authenticated());
}

TEST_F(AuthenticatorTest, HomeAuthDataOfWrongLengthCountsAsFailedHar) {
  Peer peer = make_peer(0, /*want_home_auth=*/true);
  test::Driver driver{auth, peer};
  driver.on_need_home_auth = [](const NeedHomeAuth&) { return std::optional<Bytes>(Bytes(31, 0)); };
  expect_failure(driver.run(), FailureReason::HomeAuthFailed);
  EXPECT_FALSE(decode(driver.requests[1]).packet->home_auth.has_value());
}

TEST_F(AuthenticatorTest, ConfirmWithBadMacFailsNetworkAuthentication) {
  Peer peer = make_peer(2);
  test::Driver driver{auth, peer};
  driver.to_peer = [](Bytes& packet) {
    if (packet.size() > 13 && packet[12] == static_cast<std::uint8_t>(Op::Confirm)) packet.back() ^= 1;
  };
  expect_failure(driver.run(), FailureReason::NetworkAuthFailed);
  EXPECT_EQ(peer.last_error_sent(), ErrorCode::NetworkAuthFailed);
  EXPECT_EQ(peer.highest_generation(), 2u);
}

TEST_F(AuthenticatorTest, KeyUpdateSucceeds) {
  Peer peer = make_peer();
  ASSERT_TRUE(auth.set_pending_update(home.vector(8, 0xb0)));
  test::Driver driver{auth, peer};
  const Action end = driver.run();
  const auto& success = as<Success>(end);
  EXPECT_EQ(success.update, UpdateResult::Updated);
  EXPECT_EQ(success.update_generation, 8u);
  EXPECT_EQ(success.generation, 7u);
  EXPECT_EQ(success.packet, build_success(4));
  EXPECT_EQ(crypto::to_hex(success.msk), crypto::to_hex(peer.msk()));  // session keys stay those of TSK
  EXPECT_TRUE(peer.updated());
  EXPECT_EQ(peer.highest_generation(), 8u);
  EXPECT_EQ(peer.status(), PeerStatus::Succeeded);
}

TEST_F(AuthenticatorTest, PendingUpdateMayArriveWhileWaitingForTheConfirmAck) {
  Peer peer = make_peer();
  auth.on_response(peer.identity_response(0));
  Action a = auth.provide_vector(home.vector(7));
  a = auth.on_response(*peer.handle(as<SendRequest>(a).packet).response);  // Confirm
  EXPECT_EQ(auth.state(), Authenticator::State::AwaitConfirmAck);
  EXPECT_TRUE(auth.set_pending_update(home.vector(8, 0xb0)));
  a = auth.on_response(*peer.handle(as<SendRequest>(a).packet).response);
  EXPECT_EQ(request_of(a).op, Op::UpdateRequest);
  EXPECT_FALSE(auth.set_pending_update(home.vector(9, 0xb1)));  // too late now
}

TEST_F(AuthenticatorTest, UpdateWithWrongTskIsRejectedByThePeer) {
  Peer peer = make_peer();
  FakeHome other;
  other.k = Bytes(32, 0x33);
  ASSERT_TRUE(auth.set_pending_update(other.vector(8, 0xb0)));  // TSK_new the MN cannot derive
  test::Driver driver{auth, peer};
  const Action end = driver.run();
  expect_failure(end, FailureReason::UpdateRejected);
  EXPECT_EQ(as<Failure>(end).update, UpdateResult::RejectedByMn);
  EXPECT_EQ(as<Failure>(end).update_generation, 8u);
  EXPECT_EQ(peer.last_error_sent(), ErrorCode::UpdateAuthFailed);
  EXPECT_FALSE(peer.updated());
  EXPECT_EQ(peer.highest_generation(), 7u);  // the old key stays
}

TEST_F(AuthenticatorTest, UpdateRefusedByMisbehavingPeer) {
  Peer peer = make_peer(0, false, PeerFaults{.reject_update = true});
  ASSERT_TRUE(auth.set_pending_update(home.vector(8, 0xb0)));
  test::Driver driver{auth, peer};
  const Action end = driver.run();
  expect_failure(end, FailureReason::UpdateRejected);
  EXPECT_EQ(as<Failure>(end).update, UpdateResult::RejectedByMn);
}

TEST_F(AuthenticatorTest, WrongResUIsRejectedWithoutError) {
  Peer peer = make_peer();
  ASSERT_TRUE(auth.set_pending_update(home.vector(8, 0xb0)));
  test::Driver driver{auth, peer};
  // Replace RES_U in the Update-Confirm and re-MAC it with the right K_AUT:
  // only RES_U is wrong.
  driver.to_server = [&](Bytes& packet) {
    auto decoded = decode(packet);
    if (!decoded || decoded.packet->op != Op::UpdateConfirm) return;
    const Packet challenge = *decode(driver.requests[0]).packet;
    const Packet response = *decode(driver.responses[1]).packet;
    const auto k_aut = test::k_aut_for(home.vector(7), *response.nonce_p, *challenge.nonce_s);
    Packet forged = *decoded.packet;
    (*forged.res_u)[0] ^= 1;
    forged.mac.reset();
    packet = encode(forged, k_aut);
  };
  const Action end = driver.run();
  expect_failure(end, FailureReason::UpdateRejected);
  EXPECT_EQ(as<Failure>(end).update, UpdateResult::RejectedByMn);
  EXPECT_EQ(as<Failure>(end).packet, build_failure(4));  // straight after the Update-Proof
}

TEST_F(AuthenticatorTest, BadMacDuringUpdateRejectsTheUpdate) {
  Peer peer = make_peer();
  ASSERT_TRUE(auth.set_pending_update(home.vector(8, 0xb0)));
  test::Driver driver{auth, peer};
  driver.to_server = [](Bytes& packet) {
    if (packet.size() > 13 && packet[12] == static_cast<std::uint8_t>(Op::UpdateChallenge)) packet.back() ^= 1;
  };
  const Action end = driver.run();
  expect_failure(end, FailureReason::InvalidMac);
  EXPECT_EQ(as<Failure>(end).update, UpdateResult::RejectedByMn);
}

TEST_F(AuthenticatorTest, SilentPeerLeavesTheUpdateWaiting) {
  Peer peer = make_peer(0, false, PeerFaults{.silent_on_update = true});
  ASSERT_TRUE(auth.set_pending_update(home.vector(8, 0xb0)));
  test::Driver driver{auth, peer};
  const Action last = driver.run();
  EXPECT_EQ(request_of(last).op, Op::UpdateRequest);
  EXPECT_EQ(auth.state(), Authenticator::State::AwaitUpdateChallenge);  // the caller's timeout decides
  EXPECT_FALSE(peer.updated());
}

TEST_F(AuthenticatorTest, IdentifierMismatchIsAnsweredWithErrorThenFailure) {
  Peer peer = make_peer();
  test::Driver driver{auth, peer};
  driver.to_server = [](Bytes& packet) {
    if (packet.size() > 13 && packet[12] == static_cast<std::uint8_t>(Op::ChallengeResponse)) packet[1] ^= 0x40;
  };
  const Action end = driver.run();
  expect_failure(end, FailureReason::UnexpectedMessage);
  const Packet error = *decode(driver.requests[1]).packet;
  EXPECT_EQ(error.error_code, ErrorCode::Malformed);
  EXPECT_FALSE(error.mac.has_value());  // no K_AUT was derived from a rejected response
}

TEST_F(AuthenticatorTest, MalformedResponseIsAnsweredWithErrorThenFailure) {
  const Bytes challenge = to_challenge();
  Bytes truncated = crypto::from_hex("0201000efe007ed90000000102000005");  // attribute header cut short
  truncated[3] = static_cast<std::uint8_t>(truncated.size());
  const Action error = auth.on_response(truncated);
  EXPECT_EQ(request_of(error).op, Op::Error);
  EXPECT_EQ(request_of(error).error_code, ErrorCode::Malformed);
  EXPECT_EQ(auth.state(), Authenticator::State::AwaitErrorAck);
  // Whatever the peer answers, the conversation ends in EAP-Failure.
  const Action end = auth.on_response(crypto::from_hex("02020004"));
  expect_failure(end, FailureReason::MalformedMessage);
  EXPECT_EQ(as<Failure>(end).packet, build_failure(2));
}

TEST_F(AuthenticatorTest, UnexpectedOpIsAnsweredWithErrorThenFailure) {
  to_challenge();
  Packet ack;
  ack.code = EapCode::Response;
  ack.identifier = 1;
  ack.op = Op::ConfirmAck;
  ack.mac = Bytes(16, 0);
  const Action error = auth.on_response(encode(ack));
  EXPECT_EQ(request_of(error).error_code, ErrorCode::Malformed);
  expect_failure(auth.on_response(crypto::from_hex("02020004")), FailureReason::UnexpectedMessage);
}

TEST_F(AuthenticatorTest, ForeignMethodIsAnsweredWithUnsupported) {
  to_challenge();
  const Action error = auth.on_response(crypto::from_hex("0201000604aa"));  // EAP-MD5
  EXPECT_EQ(request_of(error).error_code, ErrorCode::Unsupported);
  Bytes wrong_vendor = crypto::from_hex("0201000efe007eda0000000102000000");
  wrong_vendor[3] = static_cast<std::uint8_t>(wrong_vendor.size());
  expect_failure(auth.on_response(wrong_vendor), FailureReason::UnexpectedMessage);
}

TEST_F(AuthenticatorTest, NakEndsTheConversation) {
  to_challenge();
  expect_failure(auth.on_response(build_nak_response(1)), FailureReason::MethodRejected);
}

TEST_F(AuthenticatorTest, PeerErrorAfterKeysNeedsAValidMac) {
  Peer peer = make_peer();
  auth.on_response(peer.identity_response(0));
  Action a = auth.provide_vector(home.vector(7));
  a = auth.on_response(*peer.handle(as<SendRequest>(a).packet).response);  // Confirm, id 2
  Packet error;
  error.code = EapCode::Response;
  error.identifier = 2;
  error.op = Op::Error;
  error.error_code = ErrorCode::NetworkAuthFailed;
  expect_failure(auth.on_response(encode(error)), FailureReason::PeerError);
}

TEST_F(AuthenticatorTest, PeerErrorBeforeKeysEndsTheConversation) {
  to_challenge();
  Packet error;
  error.code = EapCode::Response;
  error.identifier = 1;
  error.op = Op::Error;
  error.error_code = ErrorCode::Malformed;
  expect_failure(auth.on_response(encode(error)), FailureReason::PeerError);
}

TEST_F(AuthenticatorTest, CallsInTheWrongStateThrow) {
  EXPECT_THROW(auth.provide_vector(home.vector(7)), std::logic_error);
  EXPECT_THROW(auth.vector_unavailable("x"), std::logic_error);
  EXPECT_THROW(auth.provide_home_auth(std::nullopt), std::logic_error);
  auth.on_response(build_identity_response(0, kNai));
  EXPECT_THROW(auth.on_response(build_identity_response(0, kNai)), std::logic_error);  // NeedVector outstanding
  EXPECT_THROW(auth.start(), std::logic_error);
  auth.vector_unavailable("x");
  EXPECT_THROW(auth.on_response(build_identity_response(0, kNai)), std::logic_error);  // Done
  EXPECT_FALSE(auth.set_pending_update(home.vector(8)));
}

TEST_F(AuthenticatorTest, BadVectorsThrow) {
  auth.on_response(build_identity_response(0, kNai));
  Vector short_rand = home.vector(7);
  short_rand.rand.pop_back();
  EXPECT_THROW(auth.provide_vector(short_rand), std::invalid_argument);
  Vector no_tsk = home.vector(7);
  no_tsk.tsk = crypto::SecretBytes();
  EXPECT_THROW(auth.provide_vector(no_tsk), std::invalid_argument);
  EXPECT_THROW(auth.set_pending_update(no_tsk), std::invalid_argument);
  EXPECT_EQ(auth.state(), Authenticator::State::AwaitVector);  // still usable
  EXPECT_EQ(request_of(auth.provide_vector(home.vector(7))).op, Op::Challenge);
}

TEST_F(AuthenticatorTest, BadRealmThrows) {
  EXPECT_THROW(Authenticator("", server_random), std::invalid_argument);
  EXPECT_THROW(Authenticator(std::string(254, 'a'), server_random), std::invalid_argument);
}

TEST_F(AuthenticatorTest, FailureDetailsCarryNoKeyMaterial) {
  Peer peer = make_peer(0, false, PeerFaults{.corrupt_mac = true});
  test::Driver driver{auth, peer};
  const Action end = driver.run();
  const std::string detail = as<Failure>(end).detail;
  const Vector v = home.vector(7);
  EXPECT_EQ(detail.find(crypto::to_hex(v.tsk)), std::string::npos);
  EXPECT_EQ(detail.find(crypto::to_hex(kK)), std::string::npos);
  EXPECT_FALSE(detail.empty());
}

TEST(FailureReasonName, NamesEveryReason) {
  EXPECT_EQ(failure_reason_name(FailureReason::InvalidMac), "invalid MAC");
  EXPECT_EQ(failure_reason_name(FailureReason::UpdateRejected), "key update rejected");
}

}  // namespace
}  // namespace roamkey::eaptsk
