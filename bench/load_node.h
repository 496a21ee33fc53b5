#pragma once
// The Diameter node of a bench/ load generator (`ceiling run`, `home-load`):
// the daemons' YAML, nothing below warn in the log while measuring, no
// signal handling, one application advertised, started and linked to the
// first diameter.connect peer before the first request is sent.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "config/config.h"
#include "diameter/stack.h"

namespace roamkey::bench {

// Why no link: exit_code 2 when the configuration names no peer to dial,
// 3 when the link did not open in time. what() is fit for stderr.
class LinkError : public std::runtime_error {
 public:
  LinkError(int exit_code, const std::string& what) : std::runtime_error(what), exit_code(exit_code) {}
  int exit_code;
};

struct LoadNode {
  config::DiameterConfig diameter;  // as configured: identity, realm, peers
  std::unique_ptr<diameter::Stack> stack;
};

// Throws LinkError, or what loading the configuration throws.
LoadNode open_load_node(const std::string& program, const std::string& config_path, std::string_view application,
                        std::string_view vendor = {}, std::chrono::seconds timeout = std::chrono::seconds(10));

}  // namespace roamkey::bench
