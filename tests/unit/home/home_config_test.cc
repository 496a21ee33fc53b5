#include "home_config.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"

namespace roamkey::home {
namespace {

const std::filesystem::path kSource = "/etc/roamkey/home.yaml";

HomeConfig parse(const std::string& yaml) {
  return parse_home_config(YAML::Load(yaml), kSource);
}

// The ConfigError message, or "" if it parsed.
std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* const kValid = R"(
store: {path: /var/lib/roamkey/home.db}
delegation: {tsk_lifetime: 1800, tsk_max_uses: 10}
roaming_partners:
  - realm: Visited.Example
    peers: [AAA.visited.example, aaa2.visited.example]
  - realm: other.example
    peers: [aaa.other.example]
)";

TEST(HomeConfig, ParsesEverySection) {
  const auto c = parse(kValid);
  EXPECT_EQ(c.store.path, "/var/lib/roamkey/home.db");
  EXPECT_EQ(c.delegation.tsk_lifetime, 1800u);
  EXPECT_EQ(c.delegation.tsk_max_uses, 10u);
  ASSERT_EQ(c.roaming_partners.all().size(), 2u);
  EXPECT_EQ(c.roaming_partners.all()[0].realm, "visited.example");
  EXPECT_EQ(c.roaming_partners.all()[0].peers,
            (std::vector<std::string>{"aaa.visited.example", "aaa2.visited.example"}));
  EXPECT_TRUE(c.roaming_partners.speaks_for("VISITED.example", "aaa2.Visited.Example"));
  EXPECT_FALSE(c.roaming_partners.speaks_for("other.example", "aaa.visited.example"));
}

TEST(HomeConfig, DefaultsWhenOptionalSectionsAreAbsent) {
  const auto c = parse("store: {path: home.db}\n");
  EXPECT_EQ(c.delegation.tsk_lifetime, 3600u);
  EXPECT_FALSE(c.delegation.tsk_max_uses);
  EXPECT_TRUE(c.roaming_partners.all().empty());
}

TEST(HomeConfig, ZeroMaxUsesMeansUnlimited) {
  EXPECT_FALSE(parse("store: {path: a.db}\ndelegation: {tsk_max_uses: 0}\n").delegation.tsk_max_uses);
}

TEST(HomeConfig, RelativeStorePathIsRelativeToTheConfigFile) {
  EXPECT_EQ(parse("store: {path: data/home.db}\n").store.path, "/etc/roamkey/data/home.db");
}

TEST(HomeConfig, ReadsFromALoadedDocument) {
  roamkey::test::ScratchDir dir;
  const auto file = dir.write("home.yaml", "diameter: {}\nstore: {path: home.db}\n");
  const auto c = parse_home_config(config::load(file));
  EXPECT_EQ(c.store.path, dir.path() / "home.db");
}

TEST(HomeConfig, ErrorsNameTheFileAndTheKeyPath) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"delegation: {}\n", "store: required section missing"},
      {"store: {}\n", "store.path: required"},
      {"store: {path: ''}\n", "store.path: must be a non-empty path"},
      {"store: {path: a.db, size: 3}\n", "store.size: unknown key"},
      {"store: [a.db]\n", "store: must be a mapping"},
      {"store: {path: a.db}\ndelegation: {tsk_lifetme: 5}\n", "delegation.tsk_lifetme: unknown key"},
      {"store: {path: a.db}\ndelegation: {tsk_lifetime: 0}\n", "delegation.tsk_lifetime: must be between 1"},
      {"store: {path: a.db}\ndelegation: {tsk_lifetime: -5}\n", "delegation.tsk_lifetime: must be an integer"},
      {"store: {path: a.db}\ndelegation: {tsk_lifetime: soon}\n", "delegation.tsk_lifetime: must be an integer"},
      {"store: {path: a.db}\ndelegation: {tsk_max_uses: 4294967296}\n", "delegation.tsk_max_uses: must be between"},
      {"store: {path: a.db}\nroaming_partners: visited.example\n", "roaming_partners: must be a list of partners"},
      {"store: {path: a.db}\nroaming_partners:\n  - {realm: a.example, peers: [x.a.example]}\n  - {peers: [y]}\n",
       "roaming_partners[1].realm: required"},
      {"store: {path: a.db}\nroaming_partners:\n  - {realm: a.example, peers: [x.a.example]}\n  - {realm: '', "
       "peers: [y]}\n",
       "roaming_partners[1].realm: must be a non-empty string"},
      {"store: {path: a.db}\nroaming_partners: [{realm: 'bad realm', peers: [x]}]\n",
       "roaming_partners[0].realm: not a valid realm"},
      {"store: {path: a.db}\nroaming_partners: [{realm: [a], peers: [x]}]\n",
       "roaming_partners[0].realm: must be a non-empty string"},
      {"store: {path: a.db}\nroaming_partners: [{realm: a.example}]\n", "roaming_partners[0].peers: required"},
      {"store: {path: a.db}\nroaming_partners: [{realm: a.example, peers: []}]\n",
       "roaming_partners[0].peers: must be a non-empty list"},
      {"store: {path: a.db}\nroaming_partners: [{realm: a.example, peers: [ok.example, 'no good']}]\n",
       "roaming_partners[0].peers[1]: not a valid Diameter identity"},
      {"store: {path: a.db}\nroaming_partners: [{realm: a.example, peers: [x.example], kek: k}]\n",
       "roaming_partners[0].kek: unknown key"},
      {"store: {path: a.db}\nroaming_partners: [a.example]\n", "roaming_partners[0]: must be a mapping"},
      {"store: {path: a.db}\nroaming_partners:\n  - {realm: a.example, peers: [x.example]}\n  - {realm: A.EXAMPLE, "
       "peers: [y.example]}\n",
       "roaming_partners[1].realm: duplicate of roaming_partners[0].realm"},
  };
  for (const auto& c : cases) {
    const auto e = error_of(c.yaml);
    EXPECT_NE(e.find(c.expected), std::string::npos) << "yaml:\n" << c.yaml << "error: " << e;
    EXPECT_EQ(e.rfind(kSource.string(), 0), 0u) << e;
  }
}

TEST(HomeConfig, TopLevelMustBeAMapping) {
  EXPECT_THROW(parse("- a\n- b\n"), config::ConfigError);
}

}  // namespace
}  // namespace roamkey::home
