#include "subscriber_import.h"

#include <gtest/gtest.h>

#include <sstream>

#include "crypto/bytes.h"

namespace roamkey::home {
namespace {

const std::string kK1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kK2 = "FFEEDDCCBBAA99887766554433221100ffeeddccbbaa99887766554433221100";

ImportFile parse(const std::string& text) {
  std::istringstream in(text);
  return parse_import(in);
}

TEST(Import, ReadsCsvLines) {
  const auto f = parse("alice@home.example," + kK1 + "\n" +  //
                       "bob@home.example," + kK2 + ",Visited.Example;other.example\n" + "carol@home.example , " + kK1 +
                       " , *\n" +  //
                       "dave@home.example," + kK1 + ",\n");
  ASSERT_TRUE(f.ok()) << f.problems[0].message;
  ASSERT_EQ(f.entries.size(), 4u);
  EXPECT_EQ(f.entries[0].line, 1u);
  EXPECT_EQ(f.entries[0].subscriber.nai, "alice@home.example");
  EXPECT_EQ(crypto::to_hex(f.entries[0].subscriber.k.view()), kK1);
  EXPECT_FALSE(f.entries[0].subscriber.roaming.all_partners);
  EXPECT_TRUE(f.entries[0].subscriber.roaming.realms.empty());
  EXPECT_EQ(f.entries[1].subscriber.roaming.realms, (std::vector<std::string>{"visited.example", "other.example"}));
  EXPECT_EQ(crypto::to_hex(f.entries[1].subscriber.k.view()),
            "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
  EXPECT_EQ(f.entries[2].subscriber.nai, "carol@home.example");
  EXPECT_TRUE(f.entries[2].subscriber.roaming.all_partners);
  EXPECT_TRUE(f.entries[3].subscriber.roaming.realms.empty());
}

TEST(Import, ReadsJsonLinesAndSkipsCommentsBlankLinesAndCarriageReturns) {
  const auto f = parse(
      "# provisioning batch 7\r\n\r\n"
      "{\"nai\": \"alice@home.example\", \"k\": \"" +
      kK1 +
      "\", \"realms\": [\"visited.example\"]}\r\n"
      "   \n"
      "{\"nai\": \"bob@home.example\", \"k\": \"" +
      kK2 +
      "\", \"all_partners\": true}\n"
      "carol@home.example," +
      kK1 + ",visited.example\r\n");
  ASSERT_TRUE(f.ok()) << f.problems[0].message;
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[0].line, 3u);
  EXPECT_EQ(f.entries[0].subscriber.roaming.realms, (std::vector<std::string>{"visited.example"}));
  EXPECT_EQ(f.entries[1].line, 5u);
  EXPECT_TRUE(f.entries[1].subscriber.roaming.all_partners);
  EXPECT_EQ(f.entries[2].line, 6u);
  EXPECT_EQ(f.entries[2].subscriber.roaming.realms, (std::vector<std::string>{"visited.example"}));
}

TEST(Import, ReportsEveryBadLineByNumberWithoutQuotingIt) {
  const std::string bad_key = "zz" + kK1.substr(2);
  const auto f = parse("alice@home.example," + kK1 + "\n" +                             // 1 ok
                       "bob@home.example," + kK1.substr(0, 62) + "\n" +                 // 2 short key
                       "carol@home.example," + bad_key + "\n" +                         // 3 not hex
                       "no-realm," + kK1 + "\n" +                                       // 4 bad NAI
                       "dave@home.example," + kK1 + ",bad realm\n" +                    // 5 bad realm
                       "erin@home.example," + kK1 + ",a.example,extra\n" +              // 6 too many fields
                       "frank@home.example\n" +                                         // 7 too few
                       "{\"nai\": \"gina@home.example\", \"k\": \"" + kK1 + "\"\n" +    // 8 broken JSON
                       "{\"nai\": \"hal@home.example\", \"key\": \"" + kK1 + "\"}\n" +  // 9 unknown key
                       "{\"nai\": \"ida@home.example\", \"k\": \"" + kK1 + "\", \"realms\": \"a.example\"}\n" +  // 10
                       "[1,2]\n" +                                 // 11 CSV with bad NAI
                       "{\"nai\": 5, \"k\": \"" + kK1 + "\"}\n" +  // 12
                       "ALICE@home.example," + kK2 + "\n" +        // 13 ok: user part differs
                       "alice@HOME.EXAMPLE," + kK2 + "\n");        // 14 duplicate of 1
  ASSERT_EQ(f.problems.size(), 12u);
  std::vector<std::size_t> lines;
  for (const auto& p : f.problems) {
    lines.push_back(p.line);
    EXPECT_EQ(p.message.find(kK1.substr(0, 16)), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find(kK2.substr(0, 16)), std::string::npos) << p.message;
  }
  EXPECT_EQ(lines, (std::vector<std::size_t>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14}));
  EXPECT_NE(f.problems[0].message.find("64 hex digits"), std::string::npos);
  EXPECT_NE(f.problems[2].message.find("not a valid NAI"), std::string::npos);
  EXPECT_NE(f.problems[3].message.find("not a valid realm"), std::string::npos);
  EXPECT_NE(f.problems[6].message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(f.problems[7].message.find("unknown key"), std::string::npos);
  EXPECT_NE(f.problems[11].message.find("duplicate of line 1"), std::string::npos);
}

TEST(Import, EmptyInputIsAnEmptyBatch) {
  const auto f = parse("");
  EXPECT_TRUE(f.ok());
  EXPECT_TRUE(f.entries.empty());
}

}  // namespace
}  // namespace roamkey::home
