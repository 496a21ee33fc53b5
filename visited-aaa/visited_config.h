#pragma once
// The visited-aaa sections of the configuration file (aaa_clients, cache,
// eap). The shared sections (diameter, log) are parsed by common/config.
//
//   aaa_clients: [nas1.visited.example]  # required: Diameter identities allowed to send DER
//   cache: {max_entries: 1000000}         # subscribers whose TSK vectors are cached
//   eap:
//     max_conversations: 10000    # beyond this, a new conversation gets DIAMETER_TOO_BUSY
//     conversation_timeout: 30    # seconds of silence after which a conversation is dropped
//     home_timeout: 5             # seconds to wait for the home's answer (DLA, HAA);
//                                 # must be below conversation_timeout

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "crypto/secret.h"

namespace roamkey::visited {

using ConfigError = config::ConfigError;

struct CacheConfig {
  std::size_t max_entries = 1'000'000;
};

struct EapConfig {
  std::size_t max_conversations = 10'000;
  std::chrono::seconds conversation_timeout{30};
  std::chrono::seconds home_timeout{5};
};

// A key-encryption key agreed with one home domain (protocol.md sec. 2,
// "Optional end-to-end protection"), named by Key-Wrap-Key-Id.
struct Kek {
  std::string id;
  crypto::SecretBytes key;  // 32 bytes
};

// A home domain this visited domain works with. Listing one is needed only
// to give it KEKs; DLRs go to any realm a connected peer serves.
struct HomeRealmConfig {
  std::string realm;  // lower case
  std::vector<Kek> keks;
};

// Where visited-aaa keeps what must survive a restart: the Key-Update-Reports
// not yet acknowledged by the home (protocol.md sec. 5 step 11).
struct StateConfig {
  std::filesystem::path path;  // empty: kept in memory only
};

// visited-aaa's top-level sections besides the common ones (diameter, log).
inline constexpr std::initializer_list<const char*> kVisitedSections = {"admin", "aaa_clients", "cache",
                                                                        "eap",   "home_realms", "state"};
// admin.listen when the section is absent: 127.0.0.1:9869.
inline constexpr std::uint16_t kDefaultAdminPort = 9869;

struct VisitedConfig {
  config::AdminConfig admin;             // set by the Document overload
  std::vector<std::string> aaa_clients;  // lower case (Diameter identities compare case-insensitively)
  CacheConfig cache;
  EapConfig eap;
  std::vector<HomeRealmConfig> home_realms;  // set by the Document overload (key files are relative to the file)
  StateConfig state;
};

// Throws ConfigError naming the key path: "eap.home_timeout: must be a positive integer".
VisitedConfig parse_visited_config(const YAML::Node& root);

// The same, with the file name in front of the message like the shared sections'.
VisitedConfig parse_visited_config(const config::Document& doc);

}  // namespace roamkey::visited
