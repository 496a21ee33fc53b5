#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/scratch_dir.h"

namespace roamkey::config {
namespace {

using roamkey::test::ScratchDir;
using ::testing::HasSubstr;

// Every test works in its own directory: the configuration file lives in
// etc/, certificates beside it, and a default dictionary elsewhere.
class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() { default_dictionary_ = dir_.write("share/roamkey.xml", "<dictionary/>"); }

  std::filesystem::path write_config(const std::string& yaml) { return dir_.write("etc/node.yaml", yaml); }
  Document document(const std::string& yaml) { return load(write_config(yaml)); }
  DiameterConfig diameter(const std::string& yaml) { return parse_diameter(document(yaml), default_dictionary_); }

  // The message of the ConfigError parse_diameter raises for `yaml`.
  std::string diameter_error(const std::string& yaml) {
    try {
      parse_diameter(document(yaml), default_dictionary_);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError for:\n" << yaml;
    return {};
  }
  std::string log_error(const std::string& yaml) {
    try {
      parse_log(document(yaml));
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError for:\n" << yaml;
    return {};
  }

  // The three TLS files every tls section below names, relative to etc/.
  void write_tls_files() {
    dir_.write("etc/tls/node.pem", "cert");
    dir_.write("etc/tls/node.key", "key");
    dir_.write("etc/tls/ca.pem", "ca");
  }

  std::filesystem::path etc() const { return dir_ / "etc"; }

  ScratchDir dir_;
  std::filesystem::path default_dictionary_;
};

constexpr const char* kMinimal = "diameter:\n  identity: aaa.home.example\n  realm: home.example\n";

// --- load ---------------------------------------------------------------

TEST_F(ConfigTest, LoadOfAMissingFileNamesTheFile) {
  const auto missing = dir_ / "nope.yaml";
  try {
    load(missing);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(missing.string()));
    EXPECT_THAT(e.what(), HasSubstr("cannot open"));
  }
}

TEST_F(ConfigTest, YamlSyntaxErrorNamesFileAndLine) {
  const auto path = write_config("diameter:\n  identity: aaa.home.example\n  realm: home.example: oops\n");
  try {
    load(path);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path.string() + ":3: "));
  }
}

TEST_F(ConfigTest, TopLevelMustBeAMapping) {
  for (const char* yaml : {"- a\n- b\n", "", "just a scalar\n"}) {
    const auto path = write_config(yaml);
    try {
      load(path);
      ADD_FAILURE() << "no ConfigError for '" << yaml << "'";
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(path.string() + ": top level must be a mapping"));
    }
  }
}

TEST_F(ConfigTest, LoadKeepsThePathForResolution) {
  const auto doc = document(kMinimal);
  EXPECT_EQ(doc.path, etc() / "node.yaml");
  EXPECT_EQ(doc.base_dir(), etc());
}

TEST(Document, ResolveIsRelativeToTheFilesDirectory) {
  const Document doc{"/etc/roamkey/node.yaml", {}};
  EXPECT_EQ(doc.resolve("tls/a.pem"), std::filesystem::path("/etc/roamkey/tls/a.pem"));
  EXPECT_EQ(doc.resolve("../share/d.xml"), std::filesystem::path("/etc/share/d.xml"));
  EXPECT_EQ(doc.resolve("/abs/x.pem"), std::filesystem::path("/abs/x.pem"));
  EXPECT_EQ(doc.resolve(""), std::filesystem::path());
  // A file named without a directory: paths stay relative to the working directory.
  const Document bare{"node.yaml", {}};
  EXPECT_EQ(bare.resolve("a.pem"), std::filesystem::path("a.pem"));
}

TEST(Document, FailNamesFileAndKey) {
  const Document doc{"/etc/node.yaml", {}};
  try {
    doc.fail("diameter.realm", "broken");
    FAIL() << "fail() returned";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/etc/node.yaml: diameter.realm: broken");
  }
}

// --- parse_diameter: what a valid file yields ------------------------------

TEST_F(ConfigTest, MinimalDiameterSectionTakesTheDefaults) {
  const auto c = diameter(kMinimal);
  EXPECT_EQ(c.identity, "aaa.home.example");
  EXPECT_EQ(c.realm, "home.example");
  EXPECT_FALSE(c.listen);
  EXPECT_FALSE(c.tls);
  EXPECT_EQ(c.dictionary, default_dictionary_);
  EXPECT_EQ(c.app_threads, 4U);
  EXPECT_EQ(c.tc_timer, 30U);
  EXPECT_EQ(c.tw_timer, 30U);
  EXPECT_TRUE(c.connect.empty());
}

TEST_F(ConfigTest, IdentityAndRealmAreLowerCased) {
  const auto c = diameter("diameter:\n  identity: AAA.Home.Example\n  realm: HOME.example\n");
  EXPECT_EQ(c.identity, "aaa.home.example");
  EXPECT_EQ(c.realm, "home.example");
}

TEST_F(ConfigTest, EveryFieldIsReadAndPathsResolveAgainstTheConfigDirectory) {
  write_tls_files();
  dir_.write("etc/tls/ca2.pem", "ca2");
  dir_.write("etc/tls/crl.pem", "crl");
  dir_.write("dict/roamkey.xml", "<dictionary/>");
  const auto c = diameter(R"(
diameter:
  identity: aaa.visited.example
  realm: visited.example
  listen: {address: 192.0.2.10, tls_port: 15868, tcp_port: 13868}
  tls:
    certificate: tls/node.pem
    private_key: tls/node.key
    ca: [tls/ca.pem, tls/ca2.pem]
    crl: tls/crl.pem
    priority: "NORMAL:-VERS-TLS1.2"
  dictionary: ../dict/roamkey.xml
  app_threads: 8
  tc_timer: 10
  tw_timer: 6
  connect:
    - {identity: AAA.Home.Example, address: 192.0.2.20}
    - {identity: aaa.other.example, address: 192.0.2.30, port: 3869, tls: false}
)");
  EXPECT_EQ(c.identity, "aaa.visited.example");
  EXPECT_EQ(c.realm, "visited.example");
  ASSERT_TRUE(c.listen);
  EXPECT_EQ(c.listen->address, "192.0.2.10");
  EXPECT_EQ(c.listen->tls_port, 15868);
  EXPECT_EQ(c.listen->tcp_port, 13868);
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->certificate, etc() / "tls/node.pem");
  EXPECT_EQ(c.tls->private_key, etc() / "tls/node.key");
  ASSERT_EQ(c.tls->ca.size(), 2U);
  EXPECT_EQ(c.tls->ca[0], etc() / "tls/ca.pem");
  EXPECT_EQ(c.tls->ca[1], etc() / "tls/ca2.pem");
  EXPECT_EQ(c.tls->crl, etc() / "tls/crl.pem");
  EXPECT_EQ(c.tls->priority, "NORMAL:-VERS-TLS1.2");
  EXPECT_EQ(c.dictionary, dir_ / "dict/roamkey.xml") << "lexically normal, no '..' left";
  EXPECT_EQ(c.app_threads, 8U);
  EXPECT_EQ(c.tc_timer, 10U);
  EXPECT_EQ(c.tw_timer, 6U);
  ASSERT_EQ(c.connect.size(), 2U);
  EXPECT_EQ(c.connect[0].identity, "aaa.home.example");
  EXPECT_EQ(c.connect[0].address, "192.0.2.20");
  EXPECT_EQ(c.connect[0].port, 5868) << "TLS peers default to 5868 (RFC 6733 sec. 2.1)";
  EXPECT_TRUE(c.connect[0].tls);
  EXPECT_EQ(c.connect[1].identity, "aaa.other.example");
  EXPECT_EQ(c.connect[1].port, 3869);
  EXPECT_FALSE(c.connect[1].tls);
}

TEST_F(ConfigTest, AbsolutePathsAreKept) {
  write_tls_files();
  const auto cert = etc() / "tls/node.pem";
  const auto key = etc() / "tls/node.key";
  const auto ca = etc() / "tls/ca.pem";
  const auto c = diameter(std::string(kMinimal) + "  tls: {certificate: " + cert.string() +
                          ", private_key: " + key.string() + ", ca: " + ca.string() + "}\n");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->certificate, cert);
  EXPECT_EQ(c.tls->private_key, key);
  ASSERT_EQ(c.tls->ca.size(), 1U);
  EXPECT_EQ(c.tls->ca[0], ca);
}

TEST_F(ConfigTest, CaMayBeASingleFile) {
  write_tls_files();
  const auto c = diameter(std::string(kMinimal) +
                          "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: tls/ca.pem}\n");
  ASSERT_TRUE(c.tls);
  ASSERT_EQ(c.tls->ca.size(), 1U);
  EXPECT_EQ(c.tls->ca[0], etc() / "tls/ca.pem");
  EXPECT_TRUE(c.tls->crl.empty());
  EXPECT_TRUE(c.tls->priority.empty());
}

TEST_F(ConfigTest, EmptyOrNullCrlMeansNoCrl) {
  write_tls_files();
  for (const char* crl : {"\"\"", "~"}) {
    const auto c =
        diameter(std::string(kMinimal) +
                 "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: tls/ca.pem, crl: " + crl + "}\n");
    ASSERT_TRUE(c.tls);
    EXPECT_TRUE(c.tls->crl.empty()) << crl;
  }
}

TEST_F(ConfigTest, ListenDefaults) {
  write_tls_files();
  const auto c = diameter(std::string(kMinimal) +
                          "  listen: {}\n"
                          "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: tls/ca.pem}\n");
  ASSERT_TRUE(c.listen);
  EXPECT_EQ(c.listen->address, "127.0.0.1");
  EXPECT_EQ(c.listen->tls_port, 5868);
  EXPECT_EQ(c.listen->tcp_port, 0);
}

TEST_F(ConfigTest, NullListenMeansNoListener) {
  const auto c = diameter(std::string(kMinimal) + "  listen: ~\n");
  EXPECT_FALSE(c.listen);
}

TEST_F(ConfigTest, ClearTcpListenerNeedsNoTlsSection) {
  const auto c = diameter(std::string(kMinimal) + "  listen: {tls_port: 0, tcp_port: 3868}\n");
  ASSERT_TRUE(c.listen);
  EXPECT_EQ(c.listen->tls_port, 0);
  EXPECT_EQ(c.listen->tcp_port, 3868);
  EXPECT_FALSE(c.tls);
}

TEST_F(ConfigTest, ClearPeerDefaultsToPort3868AndNeedsNoTlsSection) {
  const auto c =
      diameter(std::string(kMinimal) + "  connect: [{identity: aaa.home.example, address: 127.0.0.1, tls: false}]\n");
  ASSERT_EQ(c.connect.size(), 1U);
  EXPECT_EQ(c.connect[0].port, 3868);
  EXPECT_FALSE(c.connect[0].tls);
}

TEST_F(ConfigTest, NullConnectIsNoPeers) {
  EXPECT_TRUE(diameter(std::string(kMinimal) + "  connect: ~\n").connect.empty());
  EXPECT_TRUE(diameter(std::string(kMinimal) + "  connect: []\n").connect.empty());
}

// --- parse_diameter: errors ----------------------------------------------

TEST_F(ConfigTest, MissingDiameterSection) {
  const auto e = diameter_error("log: {level: info}\n");
  EXPECT_THAT(e, HasSubstr((etc() / "node.yaml").string() + ": diameter: required section missing"));
}

TEST_F(ConfigTest, DiameterSectionMustBeAMapping) {
  EXPECT_THAT(diameter_error("diameter: [a, b]\n"), HasSubstr("diameter: must be a mapping"));
  EXPECT_THAT(diameter_error("diameter:\n"), HasSubstr("diameter: must be a mapping"));
}

TEST_F(ConfigTest, MissingIdentity) {
  EXPECT_THAT(diameter_error("diameter:\n  realm: home.example\n"), HasSubstr(": diameter.identity: required"));
}

TEST_F(ConfigTest, MissingRealm) {
  EXPECT_THAT(diameter_error("diameter:\n  identity: aaa.home.example\n"), HasSubstr(": diameter.realm: required"));
}

TEST_F(ConfigTest, IdentityMustBeAnFqdn) {
  for (const char* bad :
       {"aaa_home.example", ".home.example", "home.example.", "aaa home.example", "\"\"", "a@b.example"}) {
    const auto e = diameter_error(std::string("diameter:\n  identity: ") + bad + "\n  realm: home.example\n");
    EXPECT_THAT(e, HasSubstr("diameter.identity: not a valid Diameter identity (FQDN)")) << bad;
  }
  const std::string too_long(254, 'a');
  EXPECT_THAT(diameter_error("diameter:\n  identity: " + too_long + "\n  realm: home.example\n"),
              HasSubstr("diameter.identity: not a valid Diameter identity"));
}

TEST_F(ConfigTest, IdentityMustBeAString) {
  EXPECT_THAT(diameter_error("diameter:\n  identity: [a]\n  realm: home.example\n"),
              HasSubstr("diameter.identity: must be a string"));
}

TEST_F(ConfigTest, RealmMustBeAnFqdn) {
  EXPECT_THAT(diameter_error("diameter:\n  identity: aaa.home.example\n  realm: home/example\n"),
              HasSubstr("diameter.realm: not a valid realm"));
}

TEST_F(ConfigTest, UnknownKeysAreRejectedWithTheirPath) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  identiy: typo.example\n"),
              HasSubstr("diameter.identiy: unknown key"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  listen: {adress: 127.0.0.1, tls_port: 0, tcp_port: 3868}\n"),
              HasSubstr("diameter.listen.adress: unknown key"));
  write_tls_files();
  EXPECT_THAT(diameter_error(std::string(kMinimal) +
                             "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: tls/ca.pem, "
                             "cipher: x}\n"),
              HasSubstr("diameter.tls.cipher: unknown key"));
  EXPECT_THAT(
      diameter_error(std::string(kMinimal) + "  connect:\n"
                                             "    - {identity: a.example, address: 127.0.0.1, tls: false}\n"
                                             "    - {identity: b.example, address: 127.0.0.1, tls: false, realm: x}\n"),
      HasSubstr("diameter.connect[1].realm: unknown key"));
}

TEST_F(ConfigTest, TlsFilesMustExist) {
  write_tls_files();
  const auto missing_cert = diameter_error(std::string(kMinimal) +
                                           "  tls: {certificate: tls/none.pem, private_key: tls/node.key, "
                                           "ca: tls/ca.pem}\n");
  EXPECT_THAT(missing_cert,
              HasSubstr("diameter.tls.certificate: file not found: " + (etc() / "tls/none.pem").string()));

  EXPECT_THAT(diameter_error(std::string(kMinimal) +
                             "  tls: {certificate: tls/node.pem, private_key: tls/none.key, ca: tls/ca.pem}\n"),
              HasSubstr("diameter.tls.private_key: file not found"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) +
                             "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: tls/none.pem}\n"),
              HasSubstr("diameter.tls.ca: file not found"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  tls: {certificate: tls/node.pem, private_key: tls/node.key, "
                                                     "ca: [tls/ca.pem, tls/none.pem]}\n"),
              HasSubstr("diameter.tls.ca[1]: file not found: " + (etc() / "tls/none.pem").string()));
  EXPECT_THAT(diameter_error(std::string(kMinimal) +
                             "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: tls/ca.pem, "
                             "crl: tls/none.crl}\n"),
              HasSubstr("diameter.tls.crl: file not found"));
}

TEST_F(ConfigTest, TlsFileThatIsADirectoryIsRefused) {
  write_tls_files();
  EXPECT_THAT(
      diameter_error(std::string(kMinimal) + "  tls: {certificate: tls, private_key: tls/node.key, ca: tls/ca.pem}\n"),
      HasSubstr("diameter.tls.certificate: file not found"));
}

TEST_F(ConfigTest, TlsRequiredFields) {
  write_tls_files();
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  tls: {private_key: tls/node.key, ca: tls/ca.pem}\n"),
              HasSubstr("diameter.tls.certificate: required"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  tls: {certificate: tls/node.pem, ca: tls/ca.pem}\n"),
              HasSubstr("diameter.tls.private_key: required"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  tls: {certificate: tls/node.pem, private_key: tls/node.key}\n"),
              HasSubstr("diameter.tls.ca: required"));
}

TEST_F(ConfigTest, CaMustBeAFileOrANonEmptyList) {
  write_tls_files();
  EXPECT_THAT(
      diameter_error(std::string(kMinimal) + "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: []}\n"),
      HasSubstr("diameter.tls.ca: must be a file or a non-empty list of files"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) +
                             "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: {a: b}}\n"),
              HasSubstr("diameter.tls.ca: must be a file or a non-empty list of files"));
}

TEST_F(ConfigTest, CaListEntriesMustBeFileNames) {
  write_tls_files();
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  tls: {certificate: tls/node.pem, private_key: tls/node.key, "
                                                     "ca: [tls/ca.pem, [tls/ca.pem]]}\n"),
              HasSubstr("diameter.tls.ca[1]: must be a string"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) +
                             "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: [~]}\n"),
              HasSubstr("diameter.tls.ca[0]: must be a string"));
}

TEST_F(ConfigTest, TlsSectionMustBeAMapping) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  tls: yes\n"), HasSubstr("diameter.tls: must be a mapping"));
}

TEST_F(ConfigTest, ListenWithBothPortsZeroIsRefused) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  listen: {tls_port: 0, tcp_port: 0}\n"),
              HasSubstr("diameter.listen: tls_port and tcp_port are both 0"));
}

TEST_F(ConfigTest, ListenWithEqualPortsIsRefused) {
  write_tls_files();
  EXPECT_THAT(diameter_error(std::string(kMinimal) +
                             "  listen: {tls_port: 3868, tcp_port: 3868}\n"
                             "  tls: {certificate: tls/node.pem, private_key: tls/node.key, ca: tls/ca.pem}\n"),
              HasSubstr("diameter.listen: tls_port equals tcp_port"));
}

TEST_F(ConfigTest, TlsListenerWithoutTlsSectionIsRefused) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  listen: {tls_port: 5868}\n"),
              HasSubstr("diameter.listen.tls_port: a TLS listener needs the diameter.tls section"));
  // tls_port defaults to 5868, so an empty listen section needs TLS too.
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  listen: {address: 127.0.0.1}\n"),
              HasSubstr("diameter.listen.tls_port: a TLS listener needs the diameter.tls section"));
}

TEST_F(ConfigTest, ListenPortsAreBounded) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  listen: {tls_port: 0, tcp_port: 65536}\n"),
              HasSubstr("diameter.listen.tcp_port: must be between 0 and 65535"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  listen: {tls_port: -1, tcp_port: 3868}\n"),
              HasSubstr("diameter.listen.tls_port: must be an integer between 0 and 65535"));
}

TEST_F(ConfigTest, TlsPeerWithoutTlsSectionIsRefused) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  connect:\n"
                                                     "    - {identity: a.example, address: 127.0.0.1, tls: false}\n"
                                                     "    - {identity: b.example, address: 127.0.0.1}\n"),
              HasSubstr("diameter.connect[1].tls: a TLS peer needs the diameter.tls section"));
}

TEST_F(ConfigTest, ConnectPeerErrors) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  connect: {identity: a.example}\n"),
              HasSubstr("diameter.connect: must be a list of peers"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  connect: [{address: 127.0.0.1, tls: false}]\n"),
              HasSubstr("diameter.connect[0].identity: required"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  connect: [{identity: a.example, tls: false}]\n"),
              HasSubstr("diameter.connect[0].address: required"));
  EXPECT_THAT(
      diameter_error(std::string(kMinimal) + "  connect: [{identity: not_fqdn, address: 127.0.0.1, tls: false}]\n"),
      HasSubstr("diameter.connect[0].identity: not a valid Diameter identity (FQDN)"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) +
                             "  connect: [{identity: a.example, address: 127.0.0.1, tls: false, port: 0}]\n"),
              HasSubstr("diameter.connect[0].port: must be between 1 and 65535"));
  EXPECT_THAT(
      diameter_error(std::string(kMinimal) + "  connect: [{identity: a.example, address: 127.0.0.1, tls: maybe}]\n"),
      HasSubstr("diameter.connect[0].tls: must be true or false"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  connect: [a.example]\n"),
              HasSubstr("diameter.connect[0]: must be a mapping"));
}

TEST_F(ConfigTest, DictionaryMustExist) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  dictionary: none.xml\n"),
              HasSubstr("diameter.dictionary: file not found: " + (etc() / "none.xml").string()));
  std::filesystem::remove(default_dictionary_);
  EXPECT_THAT(diameter_error(kMinimal),
              HasSubstr("diameter.dictionary: file not found: " + default_dictionary_.string()));
}

TEST_F(ConfigTest, EmptyDictionaryMeansTheDefault) {
  EXPECT_EQ(diameter(std::string(kMinimal) + "  dictionary: \"\"\n").dictionary, default_dictionary_);
}

TEST_F(ConfigTest, NumericFieldsAreBounded) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  app_threads: 0\n"),
              HasSubstr("diameter.app_threads: must be between 1 and 64"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  app_threads: 65\n"),
              HasSubstr("diameter.app_threads: must be between 1 and 64"));
  EXPECT_EQ(diameter(std::string(kMinimal) + "  app_threads: 64\n").app_threads, 64U);
  EXPECT_EQ(diameter(std::string(kMinimal) + "  app_threads: 1\n").app_threads, 1U);
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  tw_timer: 5\n"),
              HasSubstr("diameter.tw_timer: must be between 6 and 3600"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  tc_timer: 3601\n"),
              HasSubstr("diameter.tc_timer: must be between 1 and 3600"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  app_threads: four\n"),
              HasSubstr("diameter.app_threads: must be an integer between 1 and 64"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  app_threads: -4\n"),
              HasSubstr("diameter.app_threads: must be an integer between 1 and 64"));
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  app_threads: 2.5\n"),
              HasSubstr("diameter.app_threads: must be an integer"));
}

// --- parse_log ----------------------------------------------------------

TEST_F(ConfigTest, UnknownTopLevelSectionIsNamed) {
  const auto doc = document(std::string(kMinimal) + "log: {level: info}\ncach: {max_entries: 5}\n");
  EXPECT_NO_THROW(only_sections(doc, {"cach"}));
  try {
    only_sections(doc, {"cache"});
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("node.yaml: cach: unknown section"));
  }
}

TEST_F(ConfigTest, AdminListensOnLoopbackByDefault) {
  const auto a = parse_admin(document(kMinimal), 9868);
  EXPECT_EQ(a.address, "127.0.0.1");
  EXPECT_EQ(a.port, 9868);
  EXPECT_TRUE(a.metrics);
}

TEST_F(ConfigTest, AdminListenTakesAddressAndPortOrNothing) {
  auto a = parse_admin(document(std::string(kMinimal) + "admin: {listen: \"198.18.0.1:8080\", metrics: false}\n"), 1);
  EXPECT_EQ(a.address, "198.18.0.1");
  EXPECT_EQ(a.port, 8080);
  EXPECT_FALSE(a.metrics);
  a = parse_admin(document(std::string(kMinimal) + "admin: {listen: \"[::1]:9000\"}\n"), 1);
  EXPECT_EQ(a.address, "::1");
  EXPECT_EQ(a.port, 9000);
  a = parse_admin(document(std::string(kMinimal) + "admin: {listen: \"\"}\n"), 1);
  EXPECT_EQ(a.port, 0) << "an empty listen turns the listener off";
}

TEST_F(ConfigTest, AdminRejectsMalformedListenAndUnknownKeys) {
  for (const char* bad :
       {"localhost:80", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "::1:80", "[::1]80", "127.0.0.1:8x"}) {
    try {
      parse_admin(document(std::string(kMinimal) + "admin: {listen: \"" + bad + "\"}\n"), 1);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr("admin.listen: ")) << bad;
    }
  }
  EXPECT_THROW(parse_admin(document(std::string(kMinimal) + "admin: {lisen: \"127.0.0.1:1\"}\n"), 1), ConfigError);
}

TEST_F(ConfigTest, ListenAddressMustBeAnIpAddress) {
  EXPECT_THAT(diameter_error(std::string(kMinimal) + "  listen: {address: localhost, tls_port: 0, tcp_port: 3868}\n"),
              HasSubstr("diameter.listen.address: \"localhost\" is not an IP address"));
  EXPECT_EQ(
      diameter(std::string(kMinimal) + "  listen: {address: \"::1\", tls_port: 0, tcp_port: 3868}\n").listen->address,
      "::1");
}

TEST_F(ConfigTest, DiameterRemembersItsFile) {
  EXPECT_EQ(diameter(kMinimal).source, etc() / "node.yaml");
}

TEST_F(ConfigTest, LogDefaultsWhenAbsentOrNull) {
  for (const char* yaml : {kMinimal, "log:\n", "log: ~\n"}) {
    const auto c = parse_log(document(yaml));
    EXPECT_EQ(c.level, "info") << yaml;
    EXPECT_EQ(c.diameter_level, "warn") << yaml;
    EXPECT_TRUE(c.file.empty()) << yaml;
  }
}

TEST_F(ConfigTest, LogAcceptsEveryLevelCaseInsensitively) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    const auto c = parse_log(document(std::string("log: {level: ") + level + ", diameter_level: " + level + "}\n"));
    EXPECT_EQ(c.level, level);
    EXPECT_EQ(c.diameter_level, level);
  }
  const auto upper = parse_log(document("log: {level: DEBUG, diameter_level: Error}\n"));
  EXPECT_EQ(upper.level, "debug");
  EXPECT_EQ(upper.diameter_level, "error");
}

TEST_F(ConfigTest, LogRejectsAnUnknownLevel) {
  EXPECT_THAT(log_error("log: {level: verbose}\n"),
              HasSubstr("log.level: must be one of trace, debug, info, warn, error, critical, off"));
  EXPECT_THAT(log_error("log: {diameter_level: warning}\n"), HasSubstr("log.diameter_level: must be one of"));
}

TEST_F(ConfigTest, LogFileResolvesAgainstTheConfigDirectory) {
  EXPECT_EQ(parse_log(document("log: {file: ../var/node.log}\n")).file, dir_ / "var/node.log");
  EXPECT_EQ(parse_log(document("log: {file: /var/log/node.log}\n")).file, std::filesystem::path("/var/log/node.log"));
  EXPECT_TRUE(parse_log(document("log: {file: \"\"}\n")).file.empty());
}

TEST_F(ConfigTest, LogRejectsUnknownKeysAndNonMappings) {
  EXPECT_THAT(log_error("log: {level: info, colour: true}\n"), HasSubstr("log.colour: unknown key"));
  EXPECT_THAT(log_error("log: info\n"), HasSubstr("log: must be a mapping"));
}

TEST_F(ConfigTest, LogFormatAndNaiDisplay) {
  const auto defaults = parse_log(document(kMinimal));
  EXPECT_EQ(defaults.format, LogFormat::Text);
  EXPECT_EQ(defaults.nai, LogNai::Full);
  const auto json = parse_log(document("log: {format: JSON, nai: realm}\n"));
  EXPECT_EQ(json.format, LogFormat::Json);
  EXPECT_EQ(json.nai, LogNai::Realm);
  EXPECT_EQ(parse_log(document("log: {nai: hidden}\n")).nai, LogNai::Hidden);
  EXPECT_THAT(log_error("log: {format: xml}\n"), HasSubstr("log.format: must be text or json"));
  EXPECT_THAT(log_error("log: {nai: user}\n"), HasSubstr("log.nai: must be full, realm or hidden"));
}

// --- field helpers ----------------------------------------------------------

class FieldTest : public ConfigTest {
 protected:
  unsigned long integer(const std::string& value, unsigned long min, unsigned long max,
                        std::optional<unsigned long> fallback = std::nullopt) {
    const auto doc = document("n: " + value + "\n");
    return field::integer(doc, doc.root, "top", "n", min, max, fallback);
  }
  std::string integer_error(const std::string& value, unsigned long min, unsigned long max) {
    try {
      integer(value, min, max);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError for " << value;
    return {};
  }
};

TEST_F(FieldTest, IntegerWithinBoundsIsReturned) {
  EXPECT_EQ(integer("0", 0, 10), 0UL);
  EXPECT_EQ(integer("10", 0, 10), 10UL);
  EXPECT_EQ(integer("7", 7, 7), 7UL);
  EXPECT_EQ(integer("4294967296", 0, 1UL << 40), 4294967296UL);
}

TEST_F(FieldTest, IntegerOutOfBoundsNamesTheRange) {
  EXPECT_THAT(integer_error("11", 0, 10), HasSubstr("top.n: must be between 0 and 10"));
  EXPECT_THAT(integer_error("2", 3, 10), HasSubstr("top.n: must be between 3 and 10"));
}

TEST_F(FieldTest, NegativeNumbersAreNoUnsignedIntegers) {
  // yaml-cpp would wrap "-1" around to ULONG_MAX; it must not come back as a huge value.
  for (const char* v : {"-1", "-0", "-18446744073709551615"}) {
    EXPECT_THAT(integer_error(v, 0, ~0UL), HasSubstr("top.n: must be an integer between 0 and ")) << v;
  }
}

TEST_F(FieldTest, NonIntegersAreRefused) {
  for (const char* v : {"abc", "1.5", "\"\"", "[1]", "{a: 1}", "true", "99999999999999999999999"}) {
    EXPECT_THAT(integer_error(v, 0, ~0UL), HasSubstr("top.n: must be an integer")) << v;
  }
}

TEST_F(FieldTest, IntegerFallbackAndRequired) {
  EXPECT_EQ(integer("~", 0, 10, 5UL), 5UL);
  const auto doc = document("other: 1\n");
  EXPECT_EQ(field::integer(doc, doc.root, "", "n", 0, 10, 3UL), 3UL);
  try {
    field::integer(doc, doc.root, "", "n", 0, 10);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(": n: required")) << "an empty key path names the key alone";
  }
}

TEST_F(FieldTest, Booleans) {
  const auto doc = document("a: true\nb: false\nc: yes\nd: off\ne: maybe\nf: [true]\ng: ~\n");
  EXPECT_TRUE(field::boolean(doc, doc.root, "x", "a", false));
  EXPECT_FALSE(field::boolean(doc, doc.root, "x", "b", true));
  EXPECT_TRUE(field::boolean(doc, doc.root, "x", "c", false));
  EXPECT_FALSE(field::boolean(doc, doc.root, "x", "d", true));
  EXPECT_TRUE(field::boolean(doc, doc.root, "x", "missing", true));
  EXPECT_FALSE(field::boolean(doc, doc.root, "x", "g", false));
  for (const char* bad : {"e", "f"}) {
    try {
      field::boolean(doc, doc.root, "x", bad, false);
      ADD_FAILURE() << "no ConfigError for " << bad;
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string("x.") + bad + ": must be true or false"));
    }
  }
}

TEST_F(FieldTest, Strings) {
  const auto doc = document("a: text\nb: 42\nc: [x]\nd: ~\n");
  EXPECT_EQ(field::string(doc, doc.root, "x", "a"), "text");
  EXPECT_EQ(field::string(doc, doc.root, "x", "b"), "42") << "a number is a valid string";
  EXPECT_EQ(field::string(doc, doc.root, "x", "d", "fallback"), "fallback");
  EXPECT_EQ(field::string(doc, doc.root, "x", "missing", ""), "");
  EXPECT_THROW(field::string(doc, doc.root, "x", "c"), ConfigError);
  EXPECT_THROW(field::string(doc, doc.root, "x", "d"), ConfigError);
}

TEST_F(FieldTest, OnlyKeys) {
  const auto doc = document("m: {a: 1, b: 2}\ns: [1]\n");
  EXPECT_NO_THROW(field::only_keys(doc, doc.root["m"], "m", {"a", "b", "c"}));
  try {
    field::only_keys(doc, doc.root["m"], "m", {"a"});
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("m.b: unknown key"));
  }
  EXPECT_THROW(field::only_keys(doc, doc.root["s"], "s", {"a"}), ConfigError);
}

}  // namespace
}  // namespace roamkey::config
