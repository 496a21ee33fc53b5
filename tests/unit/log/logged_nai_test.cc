#include "log/logged_nai.h"

#include <gtest/gtest.h>

namespace roamkey::log {
namespace {

class LoggedNaiTest : public ::testing::Test {
 protected:
  ~LoggedNaiTest() override { set_nai_display(NaiDisplay::Full); }
};

TEST_F(LoggedNaiTest, FullShowsTheNai) {
  set_nai_display(NaiDisplay::Full);
  EXPECT_EQ(shown_nai("alice@home.example"), "alice@home.example");
  EXPECT_EQ(fmt::format("nai={}", nai("alice@home.example")), "nai=alice@home.example");
}

TEST_F(LoggedNaiTest, RealmKeepsOnlyWhatRoutes) {
  set_nai_display(NaiDisplay::Realm);
  EXPECT_EQ(shown_nai("alice@home.example"), "*@home.example");
  // RFC 7542 sec. 2.2: the realm follows the last "@".
  EXPECT_EQ(shown_nai("home.example!alice@visited.example"), "*@visited.example");
  EXPECT_EQ(shown_nai("a@b@home.example"), "*@home.example");
  EXPECT_EQ(shown_nai("no-realm"), "*");
  EXPECT_EQ(fmt::format("nai={}", nai("alice@home.example")), "nai=*@home.example");
}

TEST_F(LoggedNaiTest, HiddenShowsNothingOfIt) {
  set_nai_display(NaiDisplay::Hidden);
  EXPECT_EQ(shown_nai("alice@home.example"), "*");
  EXPECT_EQ(fmt::format("{}", nai("alice@home.example")), "*");
}

}  // namespace
}  // namespace roamkey::log
