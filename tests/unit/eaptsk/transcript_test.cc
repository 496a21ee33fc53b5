// The EAP-TSK transcript of test-vectors.json, every packet byte for byte,
// produced by an Authenticator and a Peer talking to each other.

#include <gtest/gtest.h>

#include "crypto/kdf.h"
#include "eaptsk/authenticator.h"
#include "eaptsk/packet.h"
#include "eaptsk/peer.h"
#include "support.h"
#include "test_vectors.h"

namespace roamkey::eaptsk {
namespace {

using test::as;

class TranscriptTest : public testing::SpecVectors {
 protected:
  static std::vector<nlohmann::json> transcript() {
    return json().at("eap_transcript").get<std::vector<nlohmann::json>>();
  }
  static std::string hex_at(std::size_t i) { return transcript().at(i).at("hex").get<std::string>(); }
  static std::string what_at(std::size_t i) { return transcript().at(i).at("what").get<std::string>(); }
  static std::string realm() { return input_string("visited_realm_as_configured"); }
};

TEST_F(TranscriptTest, HasTheExpectedShape) {
  ASSERT_EQ(transcript().size(), 9u);
  EXPECT_EQ(what_at(0), "EAP-Request/Challenge");
  EXPECT_EQ(what_at(8), "EAP-Success");
}

TEST_F(TranscriptTest, AuthenticatorAndPeerReproduceEveryPacket) {
  const std::string nai = input_string("NAI");
  test::ScriptedRandom server_random({input("NONCE_S"), input("NONCE_U")}, /*strict=*/true);
  test::ScriptedRandom peer_random({input("NONCE_P"), input("HOST_CHALLENGE"), input("NONCE_B")}, /*strict=*/true);
  Authenticator auth(realm(), server_random);
  Peer peer(nai, crypto::SecretBytes(input("K")), 0, /*want_home_auth=*/true, peer_random);

  // Identity id 0 precedes the Challenge id 1 (the AAA client's first DER).
  const Bytes identity = peer.identity_response(0);
  EXPECT_EQ(crypto::to_hex(identity), "0200001701" + crypto::to_hex(crypto::as_bytes(nai)));
  Action action = auth.on_response(identity);
  const auto& need_vector = as<NeedVector>(action);
  EXPECT_EQ(need_vector.nai, nai);
  EXPECT_FALSE(need_vector.refresh);

  // The home pushed (RAND2, TSK2, generation 8) for this NAI: steps 7-11 follow the Confirm-Ack.
  Vector update{input("RAND2"), input_u32("key_generation2"),
                crypto::derive_tsk(input("K"), input("RAND2"), realm(), input_u32("key_generation2"))};
  EXPECT_TRUE(auth.set_pending_update(std::move(update)));

  Vector vector{input("RAND"), input_u32("key_generation"),
                crypto::derive_tsk(input("K"), input("RAND"), realm(), input_u32("key_generation"))};
  action = auth.provide_vector(std::move(vector));
  ASSERT_EQ(crypto::to_hex(as<SendRequest>(action).packet), hex_at(0)) << what_at(0);

  PeerStep step = peer.handle(as<SendRequest>(action).packet);
  ASSERT_TRUE(step.response.has_value());
  ASSERT_EQ(crypto::to_hex(*step.response), hex_at(1)) << what_at(1);

  action = auth.on_response(*step.response);
  const auto& need_home = as<NeedHomeAuth>(action);
  EXPECT_EQ(need_home.nai, nai);
  EXPECT_EQ(crypto::to_hex(need_home.rand), crypto::to_hex(input("RAND")));
  EXPECT_EQ(need_home.generation, input_u32("key_generation"));
  EXPECT_EQ(crypto::to_hex(need_home.host_challenge), crypto::to_hex(input("HOST_CHALLENGE")));
  EXPECT_EQ(crypto::to_hex(need_home.mn_auth), crypto::to_hex(output("MN_AUTH")));
  // What the home computes on the HAR.
  const Bytes home_auth = crypto::home_auth(input("K"), need_home.host_challenge, realm(), need_home.mn_auth);
  EXPECT_EQ(crypto::to_hex(home_auth), crypto::to_hex(output("HOME_AUTH")));

  action = auth.provide_home_auth(home_auth);
  ASSERT_EQ(crypto::to_hex(as<SendRequest>(action).packet), hex_at(2)) << what_at(2);

  for (std::size_t i = 3; i < 8; i += 2) {
    step = peer.handle(as<SendRequest>(action).packet);
    ASSERT_TRUE(step.response.has_value());
    ASSERT_EQ(crypto::to_hex(*step.response), hex_at(i)) << what_at(i);
    action = auth.on_response(*step.response);
    if (i + 1 < 8) {
      ASSERT_EQ(crypto::to_hex(as<SendRequest>(action).packet), hex_at(i + 1)) << what_at(i + 1);
    }
  }

  const auto& success = as<Success>(action);
  EXPECT_EQ(crypto::to_hex(success.packet), hex_at(8)) << what_at(8);
  EXPECT_EQ(crypto::to_hex(success.msk), crypto::to_hex(output("MSK")));
  EXPECT_EQ(crypto::to_hex(success.emsk), crypto::to_hex(output("EMSK")));
  EXPECT_EQ(crypto::to_hex(success.session_id), crypto::to_hex(output("EAP_SESSION_ID")));
  EXPECT_EQ(success.generation, input_u32("key_generation"));
  EXPECT_TRUE(success.home_authenticated);
  EXPECT_EQ(success.update, UpdateResult::Updated);
  EXPECT_EQ(success.update_generation, input_u32("key_generation2"));
  EXPECT_TRUE(auth.done());

  step = peer.handle(success.packet);
  EXPECT_EQ(step.status, PeerStatus::Succeeded);
  EXPECT_FALSE(step.response.has_value());
  EXPECT_EQ(crypto::to_hex(peer.msk()), crypto::to_hex(output("MSK")));
  EXPECT_EQ(crypto::to_hex(peer.emsk()), crypto::to_hex(output("EMSK")));
  EXPECT_EQ(crypto::to_hex(peer.session_id()), crypto::to_hex(output("EAP_SESSION_ID")));
  EXPECT_EQ(peer.highest_generation(), input_u32("key_generation2"));
  EXPECT_TRUE(peer.updated());
  EXPECT_TRUE(peer.home_authenticated());
  EXPECT_FALSE(peer.last_error_sent().has_value());

  EXPECT_TRUE(server_random.exhausted());
  EXPECT_TRUE(peer_random.exhausted());
}

// The codec alone: every transcript packet decodes to the op its "what"
// names, carries a MAC that verifies under K_AUT, and re-encodes to itself.
TEST_F(TranscriptTest, EveryPacketDecodesAndReencodesIdentically) {
  const crypto::SecretBytes k_aut(output("K_AUT"));
  const std::vector<std::string> ops{"Challenge",      "Challenge-Response", "Confirm",      "Confirm-Ack",
                                     "Update-Request", "Update-Challenge",   "Update-Proof", "Update-Confirm"};
  for (std::size_t i = 0; i < ops.size(); ++i) {
    SCOPED_TRACE(what_at(i));
    const Bytes bytes = crypto::from_hex(hex_at(i));
    const DecodeResult decoded = decode(bytes);
    ASSERT_TRUE(decoded) << decode_error_name(decoded.error);
    EXPECT_EQ(op_name(decoded.packet->op), ops[i]);
    EXPECT_NE(what_at(i).find(ops[i]), std::string::npos);
    EXPECT_EQ(decoded.packet->code, i % 2 == 0 ? EapCode::Request : EapCode::Response);
    if (i == 0) {
      EXPECT_FALSE(decoded.packet->mac.has_value());
      EXPECT_EQ(crypto::to_hex(encode(*decoded.packet)), hex_at(i));
      EXPECT_EQ(*decoded.packet->realm, "visited.example");
      continue;
    }
    EXPECT_TRUE(verify_mac(bytes, *decoded.packet, k_aut));
    Packet copy = *decoded.packet;
    copy.mac.reset();
    copy.mac_offset.reset();
    EXPECT_EQ(crypto::to_hex(encode(copy, k_aut)), hex_at(i));
  }
  EXPECT_EQ(hex_at(8), crypto::to_hex(build_success(4)));
}

}  // namespace
}  // namespace roamkey::eaptsk
