// Every value of test-vectors.json "outputs", byte for byte (protocol.md section 2).

#include <gtest/gtest.h>

#include "crypto/bytes.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "crypto/key_wrap.h"
#include "crypto/session_keys.h"
#include "test_vectors.h"

namespace roamkey::crypto {
namespace {

class SpecVectorsTest : public testing::SpecVectors {
 protected:
  // The visited realm is configured in mixed case and must be lower-cased
  // inside every derivation (protocol.md section 1).
  static std::string visited_realm() { return input_string("visited_realm_as_configured"); }
  static std::string nai() { return input_string("NAI"); }
  static SecretBytes tsk() {
    return derive_tsk(input("K"), input("RAND"), visited_realm(), input_u32("key_generation"));
  }
  static SecretBytes tsk2() {
    return derive_tsk(input("K"), input("RAND2"), visited_realm(), input_u32("key_generation2"));
  }
};

TEST_F(SpecVectorsTest, VisitedRealmInputIsMixedCase) {
  EXPECT_EQ(visited_realm(), "Visited.Example");
  EXPECT_EQ(lower_realm(visited_realm()), "visited.example");
}

TEST_F(SpecVectorsTest, Tsk) {
  EXPECT_EQ(to_hex(tsk()), to_hex(output("TSK")));
}

TEST_F(SpecVectorsTest, TskIgnoresRealmCase) {
  const SecretBytes lower = derive_tsk(input("K"), input("RAND"), "visited.example", input_u32("key_generation"));
  EXPECT_EQ(to_hex(lower), to_hex(output("TSK")));
}

TEST_F(SpecVectorsTest, Tsk2WithRand2AndGeneration2) {
  EXPECT_EQ(to_hex(tsk2()), to_hex(output("TSK2")));
}

TEST_F(SpecVectorsTest, MnAuth) {
  EXPECT_EQ(to_hex(mn_auth(tsk(), input("HOST_CHALLENGE"), nai())), to_hex(output("MN_AUTH")));
}

TEST_F(SpecVectorsTest, HomeAuth) {
  const Bytes mn = mn_auth(tsk(), input("HOST_CHALLENGE"), nai());
  EXPECT_EQ(to_hex(home_auth(input("K"), input("HOST_CHALLENGE"), visited_realm(), mn)), to_hex(output("HOME_AUTH")));
}

TEST_F(SpecVectorsTest, SessionKeys) {
  const SessionKeys keys = derive_session_keys(tsk(), input("NONCE_P"), input("NONCE_S"), nai(), visited_realm());
  EXPECT_EQ(to_hex(keys.msk), to_hex(output("MSK")));
  EXPECT_EQ(to_hex(keys.emsk), to_hex(output("EMSK")));
  EXPECT_EQ(to_hex(keys.k_aut), to_hex(output("K_AUT")));
  EXPECT_EQ(to_hex(keys.session_id), to_hex(output("EAP_SESSION_ID")));
  EXPECT_EQ(keys.msk.size(), 64u);
  EXPECT_EQ(keys.emsk.size(), 64u);
  EXPECT_EQ(keys.k_aut.size(), 32u);
}

TEST_F(SpecVectorsTest, SessionKeysDependOnNaiBytes) {
  const SessionKeys keys =
      derive_session_keys(tsk(), input("NONCE_P"), input("NONCE_S"), "Alice@home.example", visited_realm());
  EXPECT_NE(to_hex(keys.msk), to_hex(output("MSK")));
}

TEST_F(SpecVectorsTest, AuthNet) {
  EXPECT_EQ(to_hex(auth_net(tsk2(), input("NONCE_B"), input("RAND2"))), to_hex(output("AUTH_NET")));
}

TEST_F(SpecVectorsTest, ResU) {
  EXPECT_EQ(to_hex(res_u(tsk2(), input("NONCE_U"), nai())), to_hex(output("RES_U")));
}

TEST_F(SpecVectorsTest, WrappedTsk) {
  EXPECT_EQ(to_hex(aes_key_wrap(input("KEK"), tsk())), to_hex(output("WRAPPED_TSK")));
  const auto unwrapped = aes_key_unwrap(input("KEK"), output("WRAPPED_TSK"));
  ASSERT_TRUE(unwrapped.has_value());
  EXPECT_EQ(to_hex(*unwrapped), to_hex(output("TSK")));
}

TEST(Kdf, EncodesLabelSeparatorAndLengths) {
  // KDF(key, "L", P0) = HMAC(key, "L" 00 P0 L0) by definition (section 2).
  const Bytes key = from_hex("0102");
  const Bytes p0 = from_hex("aabbcc");
  const Bytes expected = hmac_sha256(key, from_hex("4c00aabbcc0003"));
  EXPECT_EQ(to_hex(kdf(key, "L", {p0})), to_hex(expected));
  EXPECT_EQ(to_hex(kdf(key, "L", {})), to_hex(hmac_sha256(key, from_hex("4c00"))));
}

TEST(Kdf, RejectsBadSizes) {
  const Bytes k(32, 1);
  EXPECT_THROW(kdf(Bytes{}, "L", {}), std::invalid_argument);
  const Bytes huge(0x10000, 0);
  EXPECT_THROW(kdf(k, "L", {huge}), std::invalid_argument);
  EXPECT_THROW(derive_tsk(k, Bytes(15, 0), "r", 1), std::invalid_argument);
  EXPECT_THROW(mn_auth(k, Bytes(17, 0), "a@b"), std::invalid_argument);
  EXPECT_THROW(home_auth(k, Bytes(0), "r", Bytes(32, 0)), std::invalid_argument);
  EXPECT_THROW(auth_net(k, Bytes(16, 0), Bytes(8, 0)), std::invalid_argument);
  EXPECT_THROW(res_u(k, Bytes(1, 0), "a@b"), std::invalid_argument);
  EXPECT_THROW(derive_session_keys(k, Bytes(16, 0), Bytes(15, 0), "a@b", "r"), std::invalid_argument);
  EXPECT_THROW(derive_session_keys(Bytes{}, Bytes(16, 0), Bytes(16, 0), "a@b", "r"), std::invalid_argument);
}

TEST(Kdf, LowerRealmIsAsciiOnly) {
  EXPECT_EQ(lower_realm("VISITED.Example-1"), "visited.example-1");
  EXPECT_EQ(lower_realm("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // UTF-8 bytes untouched
  EXPECT_EQ(lower_realm(""), "");
}

}  // namespace
}  // namespace roamkey::crypto
