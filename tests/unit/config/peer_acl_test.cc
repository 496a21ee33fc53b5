#include "diameter/peer_acl.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace roamkey::diameter {
namespace {

const std::vector<std::string> kAccepted = {"aaa.home.example", "aaa.other.example"};

constexpr PeerCertificate kNoCertificate{false, false};
constexpr PeerCertificate kMatchingCertificate{true, true};
constexpr PeerCertificate kForeignCertificate{true, false};

TEST(JudgePeer, UnknownIdentityIsRefusedWhateverItsCertificate) {
  for (const auto& cert : {kNoCertificate, kMatchingCertificate, kForeignCertificate}) {
    for (const bool clear : {false, true}) {
      EXPECT_EQ(judge_peer(kAccepted, "rogue.example", cert, clear), PeerVerdict::UnknownIdentity);
    }
  }
  EXPECT_EQ(judge_peer({}, "aaa.home.example", kMatchingCertificate, false), PeerVerdict::UnknownIdentity);
  // A suffix or prefix of an accepted identity is another identity.
  EXPECT_EQ(judge_peer(kAccepted, "home.example", kMatchingCertificate, false), PeerVerdict::UnknownIdentity);
  EXPECT_EQ(judge_peer(kAccepted, "aaa.home.example.evil", kMatchingCertificate, false), PeerVerdict::UnknownIdentity);
}

TEST(JudgePeer, IdentityMatchesCaseInsensitively) {
  // RFC 6733 sec. 4.3.1: DiameterIdentity is an FQDN, and DNS names are case-insensitive.
  EXPECT_EQ(judge_peer(kAccepted, "AAA.Home.EXAMPLE", kMatchingCertificate, false), PeerVerdict::Accept);
  EXPECT_EQ(judge_peer(kAccepted, "aaa.other.example", kMatchingCertificate, false), PeerVerdict::Accept);
}

TEST(JudgePeer, NoCertificateNeedsClearTcpAllowed) {
  EXPECT_EQ(judge_peer(kAccepted, "aaa.home.example", kNoCertificate, false), PeerVerdict::TlsRequired);
  EXPECT_EQ(judge_peer(kAccepted, "aaa.home.example", kNoCertificate, true), PeerVerdict::AcceptWithoutTls);
}

TEST(JudgePeer, CertificateMustNameTheClaimedIdentity) {
  EXPECT_EQ(judge_peer(kAccepted, "aaa.home.example", kMatchingCertificate, false), PeerVerdict::Accept);
  EXPECT_EQ(judge_peer(kAccepted, "aaa.home.example", kMatchingCertificate, true), PeerVerdict::Accept);
  // The gap this closes: a certificate of a trusted CA for another name (notes sec. 4).
  EXPECT_EQ(judge_peer(kAccepted, "aaa.home.example", kForeignCertificate, false), PeerVerdict::CertificateMismatch);
  EXPECT_EQ(judge_peer(kAccepted, "aaa.home.example", kForeignCertificate, true), PeerVerdict::CertificateMismatch)
      << "allowing clear TCP does not excuse a wrong certificate";
}

TEST(JudgePeer, DescribeNamesEveryVerdict) {
  EXPECT_STREQ(describe(PeerVerdict::Accept), "accepted");
  EXPECT_STREQ(describe(PeerVerdict::AcceptWithoutTls), "accepted without TLS");
  EXPECT_STREQ(describe(PeerVerdict::UnknownIdentity), "identity is not a configured peer");
  EXPECT_STREQ(describe(PeerVerdict::CertificateMismatch), "certificate does not name the identity claimed in the CER");
  EXPECT_STREQ(describe(PeerVerdict::TlsRequired), "no TLS certificate presented");
  EXPECT_STREQ(describe(static_cast<PeerVerdict>(99)), "?");
}

}  // namespace
}  // namespace roamkey::diameter
