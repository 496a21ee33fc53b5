// The configuration keys of issue 3: store.master_key_file, rotation_interval,
// per-partner delegation policy, KEKs and wrap_with; loading the KEKs.

#include <gtest/gtest.h>

#include "crypto/bytes.h"
#include "home_config.h"
#include "store_support.h"
#include "support/scratch_dir.h"
#include "wrap_keys.h"

namespace roamkey::home {
namespace {

const char* const kKekHex = "4041424344454647484950515253545556575859606162636465666768697071";

class HomeConfigKeysTest : public ::testing::Test {
 protected:
  HomeConfigKeysTest() {
    test::write_key_file(dir_ / "master.key", std::string(kKekHex) + "\n");
    test::write_key_file(dir_ / "a.key", kKekHex);
    test::write_key_file(dir_ / "b.key", kKekHex);
  }

  HomeConfig parse(const std::string& yaml) {
    return parse_home_config(YAML::Load("store: {path: home.db}\n" + yaml), dir_ / "home.yaml");
  }

  std::string error_of(const std::string& yaml) {
    try {
      parse(yaml);
    } catch (const config::ConfigError& e) {
      return e.what();
    }
    return "";
  }

  roamkey::test::ScratchDir dir_;
};

TEST_F(HomeConfigKeysTest, MasterKeyFileIsResolvedAgainstTheConfigFile) {
  const auto c =
      parse_home_config(YAML::Load("store: {path: home.db, master_key_file: master.key}\n"), dir_ / "home.yaml");
  EXPECT_EQ(c.store.master_key_file, dir_ / "master.key");
  EXPECT_TRUE(parse("").store.master_key_file.empty());
  const auto e = [&] {
    try {
      parse_home_config(YAML::Load("store: {path: home.db, master_key_file: absent.key}\n"), dir_ / "home.yaml");
    } catch (const config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  EXPECT_NE(e.find("store.master_key_file: file not found"), std::string::npos) << e;
}

TEST_F(HomeConfigKeysTest, RotationIntervalDefaultsToOff) {
  EXPECT_EQ(parse("").delegation.rotation_interval, 0u);
  EXPECT_EQ(parse("delegation: {tsk_lifetime: 3600, rotation_interval: 900}\n").delegation.rotation_interval, 900u);
}

TEST_F(HomeConfigKeysTest, APartnerOverridesTheKeysItNames) {
  const auto c = parse(
      "delegation: {tsk_lifetime: 3600, tsk_max_uses: 10, rotation_interval: 900}\n"
      "roaming_partners:\n"
      "  - {realm: a.example, peers: [aaa.a.example], delegation: {rotation_interval: 60}}\n"
      "  - {realm: b.example, peers: [aaa.b.example], delegation: {tsk_lifetime: 7200, tsk_max_uses: 0}}\n"
      "  - {realm: c.example, peers: [aaa.c.example]}\n");
  const auto* a = c.roaming_partners.find("a.example");
  ASSERT_TRUE(a && a->policy);
  EXPECT_EQ(a->policy->tsk_lifetime, 3600u);
  EXPECT_EQ(a->policy->tsk_max_uses, 10u);
  EXPECT_EQ(a->policy->rotation_interval, 60u);
  const auto* b = c.roaming_partners.find("b.example");
  ASSERT_TRUE(b && b->policy);
  EXPECT_EQ(b->policy->tsk_lifetime, 7200u);
  EXPECT_FALSE(b->policy->tsk_max_uses);
  EXPECT_EQ(b->policy->rotation_interval, 900u);
  EXPECT_FALSE(c.roaming_partners.find("c.example")->policy);
}

TEST_F(HomeConfigKeysTest, KeksAndWrapWith) {
  const auto c = parse(
      "roaming_partners:\n"
      "  - realm: a.example\n"
      "    peers: [aaa.a.example]\n"
      "    keks: [{id: 2026-a, key_file: a.key}, {id: 2026-b, key_file: b.key}]\n"
      "    wrap_with: 2026-b\n");
  const auto* a = c.roaming_partners.find("a.example");
  ASSERT_EQ(a->keks.size(), 2u);
  EXPECT_EQ(a->keks[0].id, "2026-a");
  EXPECT_EQ(a->keks[0].key_file, dir_ / "a.key");
  EXPECT_EQ(a->wrap_with, "2026-b");
}

TEST_F(HomeConfigKeysTest, ErrorsNameTheKeyPath) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"delegation: {rotation_interval: 3600}\n", "delegation.rotation_interval: must be shorter than tsk_lifetime"},
      {"delegation: {rotation_interval: -1}\n", "delegation.rotation_interval: must be an integer"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], delegation: {tsk_lifetime: 60}}]\n"
       "delegation: {rotation_interval: 120}\n",
       "roaming_partners[0].delegation.rotation_interval: must be shorter than tsk_lifetime (60)"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], delegation: {lifetime: 60}}]\n",
       "roaming_partners[0].delegation.lifetime: unknown key"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], delegation: 60}]\n",
       "roaming_partners[0].delegation: must be a mapping"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], wrap_with: k}]\n",
       "roaming_partners[0].wrap_with: names no KEK"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], keks: [{id: k, key_file: a.key}], "
       "wrap_with: j}]\n",
       "roaming_partners[0].wrap_with: names no KEK"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], keks: [{id: k, key_file: absent.key}]}]\n",
       "roaming_partners[0].keks[0].key_file: file not found"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], keks: [{id: k, key_file: a.key}, "
       "{id: k, key_file: b.key}]}]\n",
       "roaming_partners[0].keks[1].id: duplicate of roaming_partners[0].keks[0].id"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], keks: [{key_file: a.key}]}]\n",
       "roaming_partners[0].keks[0].id: required"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], keks: [{id: k, file: a.key}]}]\n",
       "roaming_partners[0].keks[0].file: unknown key"},
      {"roaming_partners: [{realm: a.example, peers: [x.a.example], keks: a.key}]\n",
       "roaming_partners[0].keks: must be a list"},
  };
  for (const auto& c : cases) {
    const auto e = error_of(c.yaml);
    EXPECT_NE(e.find(c.expected), std::string::npos) << "yaml:\n" << c.yaml << "error: " << e;
  }
}

TEST_F(HomeConfigKeysTest, TheWrapKeyOfEachPartnerIsLoaded) {
  const auto c = parse(
      "roaming_partners:\n"
      "  - {realm: a.example, peers: [aaa.a.example], keks: [{id: old, key_file: a.key}, {id: new, key_file: b.key}],"
      " wrap_with: new}\n"
      "  - {realm: b.example, peers: [aaa.b.example], keks: [{id: x, key_file: a.key}]}\n");
  std::vector<std::string> warnings;
  const auto keys = load_wrap_keys(c.roaming_partners, warnings);
  EXPECT_TRUE(warnings.empty());
  const auto* a = keys.for_realm("A.Example");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, "new");
  EXPECT_EQ(crypto::to_hex(a->kek.view()), kKekHex);
  EXPECT_FALSE(keys.for_realm("b.example"));  // listed, but TSKs go in TSK-Key
}

TEST_F(HomeConfigKeysTest, AKekFileOthersMayReadIsAWarningABadOneAnError) {
  test::write_key_file(dir_ / "open.key", kKekHex, 0644);
  test::write_key_file(dir_ / "bad.key", "nope", 0600);
  std::vector<std::string> warnings;
  load_wrap_keys(parse("roaming_partners: [{realm: a.example, peers: [x.a.example], keks: [{id: k, key_file: "
                       "open.key}], wrap_with: k}]\n")
                     .roaming_partners,
                 warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("open.key"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("chmod 600"), std::string::npos) << warnings[0];

  const auto bad = parse(
      "roaming_partners: [{realm: a.example, peers: [x.a.example], keks: [{id: k, key_file: "
      "bad.key}], wrap_with: k}]\n");
  try {
    load_wrap_keys(bad.roaming_partners, warnings);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("roaming partner a.example, KEK k"), std::string::npos) << e.what();
  }
}

TEST(RoamingPartners, RejectInconsistentKeks) {
  RoamingPartner p{"a.example", {"x.a.example"}};
  p.wrap_with = "k";
  EXPECT_THROW(RoamingPartners({p}), std::invalid_argument);
  p.keks = {{"k", "a.key"}, {"k", "b.key"}};
  EXPECT_THROW(RoamingPartners({p}), std::invalid_argument);
  p.keks.pop_back();
  EXPECT_NO_THROW(RoamingPartners({p}));
}

TEST(WrapKeys, RefuseAKekOfTheWrongLength) {
  WrapKeys keys;
  EXPECT_THROW(keys.set("a.example", {"k", crypto::SecretBytes(16)}), std::invalid_argument);
  EXPECT_THROW(keys.set("a.example", {"", crypto::SecretBytes(32)}), std::invalid_argument);
  EXPECT_TRUE(keys.empty());
}

}  // namespace
}  // namespace roamkey::home
