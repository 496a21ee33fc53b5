#include "config/tls_credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/scratch_dir.h"
#include "support/test_pki.h"

namespace roamkey::config {
namespace {

using roamkey::test::ScratchDir;
using roamkey::test::TestPki;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr const char* kIdentity = "aaa.home.example";

class TlsCredentialsTest : public ::testing::Test {
 protected:
  TlsConfig good() const {
    const auto cred = pki_.issue(kIdentity);
    return TlsConfig{cred.certificate, cred.private_key, {pki_.ca_certificate()}, {}, {}};
  }

  ScratchDir dir_;
  TestPki pki_{dir_ / "pki", "Home CA", "home"};
};

TEST_F(TlsCredentialsTest, UsableCredentialsHaveNoProblem) {
  EXPECT_THAT(check_tls_credentials(good(), kIdentity), IsEmpty());
}

TEST_F(TlsCredentialsTest, IdentityIsComparedWithoutRegardToCase) {
  EXPECT_THAT(check_tls_credentials(good(), "AAA.Home.Example"), IsEmpty());
}

TEST_F(TlsCredentialsTest, KeyOfAnotherCertificateIsNamedWithBothFiles) {
  auto tls = good();
  tls.private_key = pki_.issue("other.home.example").private_key;
  EXPECT_THAT(check_tls_credentials(tls, kIdentity),
              ElementsAre(AllOf(HasSubstr("diameter.tls.private_key: "), HasSubstr("other.home.example.key"),
                                HasSubstr("does not match the certificate"), HasSubstr("aaa.home.example.pem"))));
}

TEST_F(TlsCredentialsTest, CertificateOfAnotherIdentityIsRefused) {
  auto tls = good();
  const auto other = pki_.issue("aaa.visited.example");
  tls.certificate = other.certificate;
  tls.private_key = other.private_key;
  EXPECT_THAT(check_tls_credentials(tls, kIdentity),
              ElementsAre(AllOf(HasSubstr("diameter.tls.certificate: "),
                                HasSubstr("does not name diameter.identity aaa.home.example"))));
}

TEST_F(TlsCredentialsTest, CaFileWithSeveralRootsIsRefusedWithAdvice) {
  auto tls = good();
  const TestPki other(dir_ / "other", "Other CA", "other");
  const auto both = dir_.write(
      "both.pem", roamkey::test::read_file(pki_.ca_certificate()) + roamkey::test::read_file(other.ca_certificate()));
  tls.ca = {both};
  EXPECT_THAT(check_tls_credentials(tls, kIdentity),
              ElementsAre(AllOf(HasSubstr("diameter.tls.ca: "), HasSubstr("holds 2 certificates"),
                                HasSubstr("one root per file"))));
}

TEST_F(TlsCredentialsTest, SeveralCaFilesAreNamedByIndex) {
  auto tls = good();
  tls.ca.push_back(dir_.write("empty.pem", ""));
  EXPECT_THAT(check_tls_credentials(tls, kIdentity),
              ElementsAre(AllOf(HasSubstr("diameter.tls.ca[1]: "), HasSubstr("holds no PEM certificate"))));
}

TEST_F(TlsCredentialsTest, CertificateFromAnotherCaDoesNotVerify) {
  auto tls = good();
  const TestPki other(dir_ / "other", "Other CA", "other");
  tls.ca = {other.ca_certificate()};
  EXPECT_THAT(check_tls_credentials(tls, kIdentity),
              ElementsAre(AllOf(HasSubstr("diameter.tls.certificate: "),
                                HasSubstr("does not verify against diameter.tls.ca"))));
}

TEST_F(TlsCredentialsTest, ExpiredCertificateSaysSo) {
  auto tls = good();
  const auto old = pki_.issue(kIdentity, std::chrono::hours(1), -std::chrono::hours(2));
  tls.certificate = old.certificate;
  tls.private_key = old.private_key;
  EXPECT_THAT(check_tls_credentials(tls, kIdentity), ElementsAre(HasSubstr("certificate has expired")));
}

TEST_F(TlsCredentialsTest, LeafCertificateAsCaIsRefused) {
  auto tls = good();
  tls.ca = {tls.certificate};
  EXPECT_THAT(check_tls_credentials(tls, kIdentity), ElementsAre(HasSubstr("is not a CA certificate")));
}

TEST_F(TlsCredentialsTest, FilesThatAreNotPemAreEachReported) {
  TlsConfig tls{dir_.write("c.pem", "not a certificate"),
                dir_.write("k.pem", "not a key"),
                {pki_.ca_certificate()},
                dir_.write("crl.pem", "not a crl"),
                {}};
  const auto problems = check_tls_credentials(tls, kIdentity);
  EXPECT_THAT(problems, SizeIs(3));
  EXPECT_THAT(problems[0], HasSubstr("diameter.tls.certificate: "));
  EXPECT_THAT(problems[1], AllOf(HasSubstr("diameter.tls.private_key: "), HasSubstr("no unencrypted PEM")));
  EXPECT_THAT(problems[2], HasSubstr("diameter.tls.crl: "));
}

TEST_F(TlsCredentialsTest, RequireUsableTlsNamesTheConfigurationFile) {
  DiameterConfig d;
  d.identity = kIdentity;
  d.source = "/etc/roamkey/home-aaa.yaml";
  d.tls = good();
  EXPECT_NO_THROW(require_usable_tls(d));
  d.identity = "aaa2.home.example";
  try {
    require_usable_tls(d);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/etc/roamkey/home-aaa.yaml: diameter.tls.certificate: "));
  }
  d.tls.reset();  // clear TCP only: nothing to check
  EXPECT_NO_THROW(require_usable_tls(d));
}

}  // namespace
}  // namespace roamkey::config
