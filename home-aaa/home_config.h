#pragma once
// The home-aaa sections of the configuration file (store, delegation,
// roaming_partners). The shared sections (diameter, log) are the common
// config's; both read the same YAML root.
//
//   store: {path: /var/lib/roamkey/home.db, master_key_file: master.key}   # relative: to the config file
//   delegation: {tsk_lifetime: 3600, tsk_max_uses: 0, rotation_interval: 0}   # 0 = unlimited / never
//   roaming_partners:
//     - realm: visited.example
//       peers: [aaa.visited.example]
//       delegation: {rotation_interval: 900}      # overrides the keys it names
//       keks: [{id: "2026-a", key_file: keks/visited-2026a.key}]
//       wrap_with: "2026-a"                       # TSKs to this partner only wrapped

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "config/config.h"
#include "delegation_service.h"
#include "roaming_partners.h"

namespace roamkey::home {

struct StoreConfig {
  std::filesystem::path path;
  // Empty: K stored as is. Otherwise K is sealed under the 32-byte key in
  // this file (master_key.h checks its permissions when it is read).
  std::filesystem::path master_key_file;
};

// home-aaa's top-level sections besides the common ones (diameter, log).
inline constexpr std::initializer_list<const char*> kHomeSections = {"admin", "store", "delegation",
                                                                     "roaming_partners"};
// admin.listen when the section is absent: 127.0.0.1:9868.
inline constexpr std::uint16_t kDefaultAdminPort = 9868;

struct HomeConfig {
  config::AdminConfig admin;
  StoreConfig store;
  DelegationPolicy delegation;
  RoamingPartners roaming_partners;
};

// Throws config::ConfigError naming the file and the key path, e.g.
// "home.yaml: roaming_partners[1].realm: not a valid realm".
HomeConfig parse_home_config(const config::Document& doc);
// For a root obtained otherwise; `source` names it in errors and anchors
// relative paths.
HomeConfig parse_home_config(const YAML::Node& root, const std::filesystem::path& source);

}  // namespace roamkey::home
