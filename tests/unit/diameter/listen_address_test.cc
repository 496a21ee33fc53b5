#include "diameter/listen_address.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace roamkey::diameter {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(ListenAddress, PrintsAddressAndPortWithBracketsForIpv6) {
  EXPECT_EQ(to_string(BoundSocket{"127.0.0.1", 5868}), "127.0.0.1:5868");
  EXPECT_EQ(to_string(BoundSocket{"::1", 5868}), "[::1]:5868");
}

TEST(ListenAddress, WildcardsOfBothFamilies) {
  EXPECT_TRUE(is_wildcard("0.0.0.0"));
  EXPECT_TRUE(is_wildcard("::"));
  EXPECT_TRUE(is_wildcard("0::0"));
  EXPECT_FALSE(is_wildcard("127.0.0.1"));
  EXPECT_FALSE(is_wildcard("198.18.0.1"));
}

TEST(ListenAddress, ExactlyTheConfiguredAddressOnEveryPort) {
  const std::vector<BoundSocket> bound{{"127.0.0.1", 5868}, {"127.0.0.1", 3868}};
  EXPECT_EQ(compare_bound(bound, "127.0.0.1", {5868, 3868}), "");
  EXPECT_EQ(compare_bound({{"::1", 5868}}, "0:0::1", {5868}), "") << "compared in canonical form";
}

TEST(ListenAddress, AnyOtherBindingIsNamed) {
  // What freeDiameter 1.2.1 does with a loopback ListenOn: both wildcards.
  const std::vector<BoundSocket> all{{"0.0.0.0", 5868}, {"::", 5868}};
  const auto p = compare_bound(all, "127.0.0.1", {5868});
  EXPECT_THAT(p, HasSubstr("0.0.0.0:5868 is bound, not only 127.0.0.1:5868"));
  EXPECT_THAT(p, HasSubstr("[::]:5868 is bound"));
  EXPECT_THAT(p, HasSubstr("127.0.0.1:5868 is not bound"));
  EXPECT_THAT(compare_bound({}, "127.0.0.1", {5868}), HasSubstr("nothing listens on port 5868"));
  EXPECT_THAT(compare_bound({{"127.0.0.1", 5868}}, "127.0.0.1", {5868, 3868}), HasSubstr("port 3868"));
}

TEST(ListenAddress, AWildcardMayComeWithTheOtherFamilysOne) {
  EXPECT_EQ(compare_bound({{"0.0.0.0", 5868}, {"::", 5868}}, "0.0.0.0", {5868}), "");
  EXPECT_EQ(compare_bound({{"0.0.0.0", 5868}}, "0.0.0.0", {5868}), "");
  EXPECT_THAT(compare_bound({{"127.0.0.1", 5868}}, "0.0.0.0", {5868}), Not(IsEmpty()));
}

TEST(ListenAddress, ReadsListeningSocketsOfThisProcess) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const BoundSocket me{"127.0.0.1", ntohs(a.sin_port)};
  EXPECT_THAT(listening_sockets(), Not(Contains(me))) << "bound but not listening";
  ASSERT_EQ(listen(s, 1), 0);
  EXPECT_THAT(listening_sockets(), Contains(me));
  close(s);
  EXPECT_THAT(listening_sockets(), Not(Contains(me)));
}

}  // namespace
}  // namespace roamkey::diameter
