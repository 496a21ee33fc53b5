#include "visited_config.h"

#include <gtest/gtest.h>

#include <string>

namespace roamkey::visited {
namespace {

using namespace std::chrono_literals;

VisitedConfig parse(const std::string& yaml) {
  return parse_visited_config(YAML::Load(yaml));
}

// The ConfigError message for `yaml`, or "" if it parses.
std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const std::string kClients = "aaa_clients: [nas1.visited.example]\n";

TEST(VisitedConfig, DefaultsWhenSectionsAreAbsent) {
  const auto c = parse(kClients + "diameter: {identity: x}\n");
  EXPECT_EQ(c.aaa_clients, std::vector<std::string>{"nas1.visited.example"});
  EXPECT_EQ(c.cache.max_entries, 1'000'000U);
  EXPECT_EQ(c.eap.max_conversations, 10'000U);
  EXPECT_EQ(c.eap.conversation_timeout, 30s);
  EXPECT_EQ(c.eap.home_timeout, 5s);
}

TEST(VisitedConfig, DefaultsWhenSectionsAreEmpty) {
  const auto c = parse(kClients + "cache: {}\neap:\n");
  EXPECT_EQ(c.cache.max_entries, 1'000'000U);
  EXPECT_EQ(c.eap.home_timeout, 5s);
}

TEST(VisitedConfig, ExplicitValues) {
  const auto c = parse(
      "aaa_clients: [NAS1.Visited.Example, nas2.visited.example]\n"
      "cache: {max_entries: 5000}\n"
      "eap: {max_conversations: 20, conversation_timeout: 60, home_timeout: 10}\n");
  EXPECT_EQ(c.aaa_clients, (std::vector<std::string>{"nas1.visited.example", "nas2.visited.example"}));
  EXPECT_EQ(c.cache.max_entries, 5000U);
  EXPECT_EQ(c.eap.max_conversations, 20U);
  EXPECT_EQ(c.eap.conversation_timeout, 60s);
  EXPECT_EQ(c.eap.home_timeout, 10s);
}

TEST(VisitedConfig, AaaClientsAreRequiredAndValidated) {
  EXPECT_EQ(error_of("cache: {}"), "aaa_clients: required: the Diameter identities allowed to send DER");
  EXPECT_EQ(error_of("aaa_clients: []"), "aaa_clients: must be a non-empty list of Diameter identities");
  EXPECT_EQ(error_of("aaa_clients: nas1.visited.example"),
            "aaa_clients: must be a non-empty list of Diameter identities");
  EXPECT_EQ(error_of("aaa_clients: {a: b}"), "aaa_clients: must be a non-empty list of Diameter identities");
  EXPECT_EQ(error_of("aaa_clients: [nas1.visited.example, '']"), "aaa_clients[1]: must be a non-empty string");
  EXPECT_EQ(error_of("aaa_clients: [[nested]]"), "aaa_clients[0]: must be a non-empty string");
  EXPECT_EQ(error_of("aaa_clients: [{identity: x}]"), "aaa_clients[0]: must be a non-empty string");
  EXPECT_EQ(error_of("aaa_clients: [~]"), "aaa_clients[0]: must be a non-empty string");
  EXPECT_EQ(error_of("aaa_clients: ['nas 1.example']"), "aaa_clients[0]: not a valid Diameter identity (FQDN)");
  EXPECT_EQ(error_of("aaa_clients: [.nas.example]"), "aaa_clients[0]: not a valid Diameter identity (FQDN)");
  EXPECT_EQ(error_of("aaa_clients: [nas..example]"), "aaa_clients[0]: not a valid Diameter identity (FQDN)");
  EXPECT_EQ(error_of("aaa_clients: [nas.example, NAS.example]"), "aaa_clients[1]: duplicate of aaa_clients[0]");
}

TEST(VisitedConfig, EachNumberMustBeAPositiveInteger) {
  for (const char* key : {"max_conversations", "conversation_timeout", "home_timeout"}) {
    for (const char* bad : {"0", "-1", "abc", "1.5", "0x10", "'+3'", "true", "[1]", "{a: 1}", "''"}) {
      EXPECT_EQ(error_of(kClients + "eap: {" + key + ": " + bad + "}"),
                std::string("eap.") + key + ": must be a positive integer")
          << key << " = " << bad;
    }
  }
  for (const char* bad : {"0", "-1", "abc", "1e6", "[1]"}) {
    EXPECT_EQ(error_of(kClients + "cache: {max_entries: " + bad + "}"), "cache.max_entries: must be a positive integer")
        << bad;
  }
}

TEST(VisitedConfig, NumbersHaveUpperBounds) {
  EXPECT_EQ(error_of(kClients + "cache: {max_entries: 100000001}"), "cache.max_entries: must be at most 100000000");
  EXPECT_EQ(error_of(kClients + "cache: {max_entries: 99999999999999999999999}"),
            "cache.max_entries: must be at most 100000000");
  EXPECT_EQ(error_of(kClients + "eap: {max_conversations: 10000001}"),
            "eap.max_conversations: must be at most 10000000");
  EXPECT_EQ(error_of(kClients + "eap: {conversation_timeout: 3601}"), "eap.conversation_timeout: must be at most 3600");
  EXPECT_EQ(error_of(kClients + "eap: {home_timeout: 301, conversation_timeout: 600}"),
            "eap.home_timeout: must be at most 300");
}

TEST(VisitedConfig, HomeTimeoutMustBeBelowConversationTimeout) {
  EXPECT_EQ(error_of(kClients + "eap: {home_timeout: 30}"),
            "eap.home_timeout: must be less than eap.conversation_timeout (30)");
  EXPECT_EQ(error_of(kClients + "eap: {conversation_timeout: 4}"),
            "eap.home_timeout: must be less than eap.conversation_timeout (4)");
  EXPECT_EQ(error_of(kClients + "eap: {conversation_timeout: 6}"), "");
}

TEST(VisitedConfig, UnknownKeysAreErrors) {
  EXPECT_EQ(error_of(kClients + "cache: {max_entry: 10}"), "cache.max_entry: unknown key");
  EXPECT_EQ(error_of(kClients + "eap: {home_timeout: 3, conversation_timout: 60}"),
            "eap.conversation_timout: unknown key");
}

TEST(VisitedConfig, SectionsMustBeMappings) {
  EXPECT_EQ(error_of(kClients + "cache: 10"), "cache: must be a mapping");
  EXPECT_EQ(error_of(kClients + "eap: [1, 2]"), "eap: must be a mapping");
  EXPECT_EQ(error_of("- a\n- b\n"), "(top level): must be a mapping");
}

TEST(VisitedConfig, DocumentOverloadNamesTheFile) {
  config::Document doc{"/etc/roamkey/visited.yaml", YAML::Load(kClients + "eap: {home_timeout: 0}")};
  try {
    parse_visited_config(doc);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/etc/roamkey/visited.yaml: eap.home_timeout: must be a positive integer");
  }
}

}  // namespace
}  // namespace roamkey::visited
