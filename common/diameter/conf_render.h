#pragma once
// Renders freeDiameter 1.2.1's configuration file from our YAML-derived
// DiameterConfig. freeDiameter only reads its configuration through a file
// (notes sec. 1 "Configuration source"), so the daemons generate it.

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"

namespace roamkey::diameter {

struct ConfRenderInput {
  const config::DiameterConfig& diameter;
  // Absolute paths of .fdx extensions to load, in order (dict_nasreq before dict_eap).
  std::vector<std::filesystem::path> extensions;
};

// Throws config::ConfigError for values that cannot be expressed safely in
// freeDiameter's configuration syntax.
std::string render_conf(const ConfRenderInput& in);

}  // namespace roamkey::diameter
