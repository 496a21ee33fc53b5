#include "nai.h"

#include <gtest/gtest.h>

#include "roaming_partners.h"

namespace roamkey::home {
namespace {

TEST(Nai, CanonicalKeyLowersOnlyTheRealm) {
  EXPECT_EQ(canonical_nai("Alice@HOME.Example"), "Alice@home.example");
  EXPECT_EQ(canonical_nai("alice@home.example"), "alice@home.example");
  EXPECT_EQ(canonical_nai("a.b+c@x-y.example"), "a.b+c@x-y.example");
  EXPECT_EQ(canonical_nai("j\xc3\xb6rg@home.example"), "j\xc3\xb6rg@home.example");  // UTF-8 user part
}

TEST(Nai, RejectsWhatIsNotUserAtRealm) {
  for (const char* bad : {"", "alice", "@home.example", "alice@", "alice@home..example", "alice@.home.example",
                          "alice@home.example.", "a@b@home.example", "al ice@home.example", "alice@home example",
                          "ali,ce@home.example", "alice@h\xc3\xb6me.example", "tab\t@home.example"})
    EXPECT_FALSE(canonical_nai(bad)) << bad;
  EXPECT_FALSE(canonical_nai(std::string(250, 'a') + "@h.example"));
  EXPECT_TRUE(canonical_nai(std::string(243, 'a') + "@h.example"));  // exactly 253
}

TEST(Nai, RealmsCompareWithoutCase) {
  EXPECT_TRUE(same_realm("Visited.Example", "visited.EXAMPLE"));
  EXPECT_FALSE(same_realm("visited.example", "visited.example.net"));
  EXPECT_TRUE(plausible_realm("a-1.example"));
  EXPECT_FALSE(plausible_realm("under_score.example"));
}

TEST(RoamingPartners, RefusesDuplicatesAndEmptyPeers) {
  using List = std::vector<RoamingPartner>;
  EXPECT_THROW(RoamingPartners(List{{"a.example", {"x"}}, {"A.example", {"y"}}}), std::invalid_argument);
  EXPECT_THROW(RoamingPartners(List{{"a.example", {}}}), std::invalid_argument);
  const RoamingPartners p(List{{"A.Example", {"Peer.A.Example"}}});
  EXPECT_TRUE(p.is_partner("a.example"));
  EXPECT_TRUE(p.speaks_for("a.EXAMPLE", "peer.a.example"));
  EXPECT_FALSE(p.speaks_for("a.example", "other.a.example"));
  EXPECT_FALSE(p.speaks_for("b.example", "peer.a.example"));
}

}  // namespace
}  // namespace roamkey::home
