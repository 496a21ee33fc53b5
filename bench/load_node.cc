#include "load_node.h"

#include "config/install_paths.h"
#include "config/tls_credentials.h"
#include "log/logging.h"

namespace roamkey::bench {

LoadNode open_load_node(const std::string& program, const std::string& config_path, std::string_view application,
                        std::string_view vendor, std::chrono::seconds timeout) {
  const auto doc = config::load(config_path);
  auto log_config = config::parse_log(doc);
  log_config.level = "warn";  // nothing per request while measuring
  log::configure(log_config, program);
  LoadNode node{config::parse_diameter(doc, config::default_dictionary()), nullptr};
  config::require_usable_tls(node.diameter);
  if (node.diameter.connect.empty())
    throw LinkError(2, program + ": the configuration names no peer to dial (diameter.connect)");
  diameter::StackOptions options;
  options.program = program;
  options.diameter = node.diameter;
  options.diameter_log_level = log_config.diameter_level;
  options.handle_signals = false;
  node.stack = std::make_unique<diameter::Stack>(std::move(options));
  node.stack->advertise(application, vendor);
  node.stack->start();
  const auto& peer = node.diameter.connect.front().identity;
  if (!node.stack->wait_peer_open(peer, timeout)) {
    node.stack->shutdown();
    throw LinkError(3, program + ": could not connect to " + peer);
  }
  return node;
}

}  // namespace roamkey::bench
