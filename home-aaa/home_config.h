#pragma once
// The home-aaa sections of the configuration file (store, delegation,
// roaming_partners). The shared sections (diameter, log) are the common
// config's; both read the same YAML root.
//
//   store: {path: /var/lib/roamkey/home.db}      # relative: to the config file
//   delegation: {tsk_lifetime: 3600, tsk_max_uses: 0}   # 0 = unlimited
//   roaming_partners:
//     - realm: visited.example
//       peers: [aaa.visited.example]

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "config/config.h"
#include "delegation_service.h"
#include "roaming_partners.h"

namespace roamkey::home {

struct StoreConfig {
  std::filesystem::path path;
};

struct HomeConfig {
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
