// The visited-aaa configuration sections of issue 3, read by the Document
// overload: home_realms (KEKs per home domain, key files relative to the
// configuration file) and state.path (the Key-Update-Report outbox).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "config/config.h"
#include "crypto/bytes.h"
#include "crypto/key_wrap.h"
#include "kek_ring.h"
#include "visited_config.h"

namespace roamkey::visited {
namespace {

namespace fs = std::filesystem;

const std::string kKekAHex = "8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677";
const std::string kKekBHex = "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000";
const std::string kBase = "aaa_clients: [nas1.visited.example]\n";

class VisitedConfigIssue3 : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "roamkey-vconf-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ / "etc" / "keks");
    write("etc/keks/a.key", kKekAHex + "\n");
    // The raw form: 32 bytes.
    const auto raw = crypto::from_hex(kKekBHex);
    write("etc/keks/b.key", std::string(raw.begin(), raw.end()));
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  void write(const std::string& relative, const std::string& content) const {
    std::ofstream out(dir_ / relative, std::ios::binary);
    out << content;
  }

  fs::path config_file() const { return dir_ / "etc" / "visited.yaml"; }

  VisitedConfig parse(const std::string& yaml) const {
    write("etc/visited.yaml", yaml);
    return parse_visited_config(config::load(config_file()));
  }

  // The ConfigError message, or "" if it parses.
  std::string error_of(const std::string& yaml) const {
    try {
      parse(yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  // The message as Document::fail words it: "<file>: <key path>: <problem>".
  std::string expected(const std::string& key_path, const std::string& problem) const {
    return config_file().string() + ": " + key_path + ": " + problem;
  }

  fs::path dir_;
};

TEST_F(VisitedConfigIssue3, AbsentSectionsLeaveNoRealmsAndAMemoryOutbox) {
  const auto c = parse(kBase);
  EXPECT_TRUE(c.home_realms.empty());
  EXPECT_TRUE(c.state.path.empty());
}

TEST_F(VisitedConfigIssue3, NullOrEmptySectionsAreLikeAbsentOnes) {
  for (const char* extra :
       {"home_realms:\nstate:\n", "home_realms: []\nstate: {}\n", "state: {path: ''}\n", "state: {path: ~}\n"}) {
    const auto c = parse(kBase + extra);
    EXPECT_TRUE(c.home_realms.empty()) << extra;
    EXPECT_TRUE(c.state.path.empty()) << extra;
  }
}

TEST_F(VisitedConfigIssue3, HomeRealmsWithKeksRelativeToTheConfigFile) {
  const auto c = parse(kBase +
                       "home_realms:\n"
                       "  - realm: Home.Example\n"
                       "    keks:\n"
                       "      - {id: 2026-a, key_file: keks/a.key}\n"
                       "      - {id: 2026-b, key_file: keks/b.key}\n"
                       "  - realm: other.example\n");
  ASSERT_EQ(c.home_realms.size(), 2U);
  EXPECT_EQ(c.home_realms[0].realm, "home.example");
  ASSERT_EQ(c.home_realms[0].keks.size(), 2U);
  EXPECT_EQ(c.home_realms[0].keks[0].id, "2026-a");
  EXPECT_EQ(crypto::to_hex(c.home_realms[0].keks[0].key), kKekAHex);
  EXPECT_EQ(c.home_realms[0].keks[1].id, "2026-b");
  EXPECT_EQ(crypto::to_hex(c.home_realms[0].keks[1].key), kKekBHex);
  // A realm may be listed without KEKs (its TSKs then arrive in the clear).
  EXPECT_EQ(c.home_realms[1].realm, "other.example");
  EXPECT_TRUE(c.home_realms[1].keks.empty());
}

TEST_F(VisitedConfigIssue3, AbsoluteKeyFileIsTakenAsIs) {
  const auto c = parse(kBase + "home_realms: [{realm: home.example, keks: [{id: k, key_file: '" +
                       (dir_ / "etc" / "keks" / "a.key").string() + "'}]}]\n");
  ASSERT_EQ(c.home_realms.size(), 1U);
  EXPECT_EQ(crypto::to_hex(c.home_realms[0].keks[0].key), kKekAHex);
}

// Relative to the file, not to the working directory of the process.
TEST_F(VisitedConfigIssue3, KeyFileIsNotResolvedFromTheWorkingDirectory) {
  const auto cwd = fs::current_path();
  fs::current_path(dir_ / "etc" / "keks");
  const std::string message =
      error_of(kBase + "home_realms: [{realm: home.example, keks: [{id: k, key_file: a.key}]}]\n");
  fs::current_path(cwd);
  EXPECT_NE(message.find("home_realms[0].keks[0].key_file"), std::string::npos) << message;
  EXPECT_NE(message.find((dir_ / "etc" / "a.key").string()), std::string::npos) << message;
}

TEST_F(VisitedConfigIssue3, ParsedKeksUnwrapThroughTheRing) {
  const auto c = parse(kBase +
                       "home_realms: [{realm: HOME.example, keks: [{id: 2026-a, key_file: keks/a.key},"
                       " {id: 2026-b, key_file: keks/b.key}]}]\n");
  const KekRing ring(c.home_realms);
  EXPECT_EQ(ring.size(), 2U);
  const crypto::Bytes tsk(32, 0x42);
  const auto kek_b = crypto::from_hex(kKekBHex);
  const auto r = ring.unwrap("home.example", "2026-b", crypto::aes_key_wrap(kek_b, tsk));
  ASSERT_TRUE(r.tsk.has_value()) << r.failure;
  EXPECT_EQ(crypto::to_hex(*r.tsk), crypto::to_hex(tsk));
}

TEST_F(VisitedConfigIssue3, DuplicateRealmIsRefusedWhateverItsCase) {
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example}, {realm: other.example}, {realm: HOME.Example}]\n"),
            expected("home_realms[2].realm", "listed twice"));
}

TEST_F(VisitedConfigIssue3, DuplicateKekIdIsRefused) {
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example, keks: [{id: k1, key_file: keks/a.key},"
                             " {id: k1, key_file: keks/b.key}]}]\n"),
            expected("home_realms[0].keks[1].id", "listed twice"));
}

// The same KEK id may name different keys for different partners.
TEST_F(VisitedConfigIssue3, SameKekIdInTwoRealmsIsAllowed) {
  const auto c = parse(kBase +
                       "home_realms: [{realm: home.example, keks: [{id: k1, key_file: keks/a.key}]},"
                       " {realm: other.example, keks: [{id: k1, key_file: keks/b.key}]}]\n");
  ASSERT_EQ(c.home_realms.size(), 2U);
  EXPECT_EQ(crypto::to_hex(c.home_realms[1].keks[0].key), kKekBHex);
}

TEST_F(VisitedConfigIssue3, MissingKeyFileIsNamed) {
  const auto message =
      error_of(kBase + "home_realms: [{realm: home.example, keks: [{id: k1, key_file: keks/none.key}]}]\n");
  EXPECT_EQ(message.rfind(expected("home_realms[0].keks[0].key_file", ""), 0), 0U) << message;
  EXPECT_NE(message.find("none.key"), std::string::npos) << message;
}

TEST_F(VisitedConfigIssue3, KeyFileOfTheWrongFormIsRefusedWithoutEchoingIt) {
  const std::string almost = kKekAHex.substr(0, 62);  // 31 bytes of hex
  write("etc/keks/short.key", almost + "\n");
  write("etc/keks/text.key", "not a key at all\n");
  write("etc/keks/raw31.key", std::string(31, '\x07'));
  for (const char* name : {"short.key", "text.key", "raw31.key"}) {
    const auto message =
        error_of(kBase + "home_realms: [{realm: home.example, keks: [{id: k1, key_file: keks/" + name + "}]}]\n");
    EXPECT_EQ(message.rfind(expected("home_realms[0].keks[0].key_file", ""), 0), 0U) << message;
    EXPECT_EQ(message.find(almost), std::string::npos) << message;
  }
}

TEST_F(VisitedConfigIssue3, KeyFileThatIsADirectoryIsRefused) {
  const auto message = error_of(kBase + "home_realms: [{realm: home.example, keks: [{id: k1, key_file: keks}]}]\n");
  EXPECT_EQ(message.rfind(expected("home_realms[0].keks[0].key_file", ""), 0), 0U) << message;
}

TEST_F(VisitedConfigIssue3, UnknownKeysAreRefused) {
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example, kek: []}]\n"),
            expected("home_realms[0].kek", "unknown key"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example, keks: [{id: k1, key_file: keks/a.key, "
                             "file: x}]}]\n"),
            expected("home_realms[0].keks[0].file", "unknown key"));
  EXPECT_EQ(error_of(kBase + "state: {path: v.db, file: x}\n"), expected("state.file", "unknown key"));
}

TEST_F(VisitedConfigIssue3, MalformedHomeRealmsAreRefused) {
  EXPECT_EQ(error_of(kBase + "home_realms: home.example\n"), expected("home_realms", "must be a list"));
  EXPECT_EQ(error_of(kBase + "home_realms: {realm: home.example}\n"), expected("home_realms", "must be a list"));
  EXPECT_EQ(error_of(kBase + "home_realms: [home.example]\n"), expected("home_realms[0]", "must be a mapping"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{keks: []}]\n"), expected("home_realms[0].realm", "required"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: [a]}]\n"), expected("home_realms[0].realm", "must be a string"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: 'home example'}]\n"),
            expected("home_realms[0].realm", "not a valid realm"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: ''}]\n"), expected("home_realms[0].realm", "not a valid realm"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example, keks: keks/a.key}]\n"),
            expected("home_realms[0].keks", "must be a list of {id, key_file}"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example, keks: [keks/a.key]}]\n"),
            expected("home_realms[0].keks[0]", "must be a mapping"));
}

TEST_F(VisitedConfigIssue3, KekNeedsANonEmptyIdAndAKeyFile) {
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example, keks: [{key_file: keks/a.key}]}]\n"),
            expected("home_realms[0].keks[0].id", "required"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example, keks: [{id: '', key_file: keks/a.key}]}]\n"),
            expected("home_realms[0].keks[0].id", "must not be empty"));
  EXPECT_EQ(error_of(kBase + "home_realms: [{realm: home.example, keks: [{id: k1}]}]\n"),
            expected("home_realms[0].keks[0].key_file", "required"));
}

TEST_F(VisitedConfigIssue3, StatePathIsRelativeToTheConfigFile) {
  const auto c = parse(kBase + "state: {path: state/visited.db}\n");
  EXPECT_EQ(c.state.path, dir_ / "etc" / "state" / "visited.db");
  EXPECT_TRUE(c.state.path.is_absolute());
}

TEST_F(VisitedConfigIssue3, StatePathNormalisesDotDot) {
  const auto c = parse(kBase + "state: {path: ../var/visited.db}\n");
  EXPECT_EQ(c.state.path, dir_ / "var" / "visited.db");
}

TEST_F(VisitedConfigIssue3, AbsoluteStatePathIsTakenAsIs) {
  const auto c = parse(kBase + "state: {path: /var/lib/roamkey/visited.db}\n");
  EXPECT_EQ(c.state.path, fs::path("/var/lib/roamkey/visited.db"));
}

TEST_F(VisitedConfigIssue3, MalformedStateIsRefused) {
  EXPECT_EQ(error_of(kBase + "state: /var/lib/roamkey/visited.db\n"), expected("state", "must be a mapping"));
  EXPECT_EQ(error_of(kBase + "state: {path: [a, b]}\n"), expected("state.path", "must be a string"));
}

// The sections the YAML overload reads still fail with the file in front.
TEST_F(VisitedConfigIssue3, ErrorsOfTheSharedPartNameTheFile) {
  EXPECT_EQ(error_of("cache: {}\n"),
            config_file().string() + ": aaa_clients: required: the Diameter identities allowed to send DER");
}

// home_realms needs the file's directory for its key files: only the
// Document overload reads it.
TEST(VisitedConfigNodeOverload, IgnoresHomeRealmsAndState) {
  const auto c =
      parse_visited_config(YAML::Load("aaa_clients: [nas1.visited.example]\n"
                                      "home_realms: [{realm: home.example, keks: [{id: k, key_file: /nonexistent}]}]\n"
                                      "state: {path: v.db}\n"));
  EXPECT_TRUE(c.home_realms.empty());
  EXPECT_TRUE(c.state.path.empty());
}

}  // namespace
}  // namespace roamkey::visited

namespace roamkey::visited {
namespace {

TEST_F(VisitedConfigIssue3, UnknownTopLevelSectionIsAnError) {
  EXPECT_NE(error_of(kBase + "cach: {max_entries: 5}\n").find("visited.yaml: cach: unknown section"),
            std::string::npos);
  EXPECT_EQ(error_of(kBase + "cache: {max_entries: 5}\ndiameter: {}\nlog: {}\n"), "");
}

TEST_F(VisitedConfigIssue3, AdminListenerDefaultsToLoopback) {
  const auto c = parse(kBase);
  EXPECT_EQ(c.admin.address, "127.0.0.1");
  EXPECT_EQ(c.admin.port, kDefaultAdminPort);
  EXPECT_EQ(parse(kBase + "admin: {listen: \"127.0.0.2:7000\"}\n").admin.port, 7000);
  EXPECT_NE(error_of(kBase + "admin: {listen: nowhere}\n").find("admin.listen: "), std::string::npos);
}

}  // namespace
}  // namespace roamkey::visited
