#include "daemon.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "apps/delegation.h"
#include "config/config.h"
#include "crypto/random.h"
#include "delegation_path.h"
#include "delegation_service.h"
#include "diameter/stack.h"
#include "home_config.h"
#include "log/logging.h"
#include "sqlite_subscriber_store.h"

#ifndef ROAMKEY_DEFAULT_DICTIONARY
#define ROAMKEY_DEFAULT_DICTIONARY "/usr/share/roamkey/roamkey.xml"
#endif

namespace roamkey::home {

int run_daemon(const std::string& config_path) {
  log::configure_early("home-aaa");
  try {
    const auto doc = config::load(config_path);
    const auto log_config = config::parse_log(doc);
    auto diameter_config = config::parse_diameter(doc, ROAMKEY_DEFAULT_DICTIONARY);
    auto home_config = parse_home_config(doc);
    log::configure(log_config, "home-aaa");

    SqliteSubscriberStore store(home_config.store.path);
    crypto::SystemRandom random;
    DelegationService service(store, home_config.delegation, home_config.roaming_partners, random);

    diameter::StackOptions options;
    options.program = "home-aaa";
    options.diameter = std::move(diameter_config);
    options.diameter_log_level = log_config.diameter_level;
    for (const auto& partner : home_config.roaming_partners.all())
      options.accepted_peers.insert(options.accepted_peers.end(), partner.peers.begin(), partner.peers.end());

    diameter::Stack stack(std::move(options));
    stack.advertise(apps::DelegationApp::kApplicationName, apps::DelegationApp::kVendorName);
    const DelegationPath path(stack, service);
    stack.start();
    spdlog::info("store {}; {} roaming partner(s)", home_config.store.path.string(),
                 home_config.roaming_partners.all().size());

    const int sig = stack.wait_for_signal();
    spdlog::info("{} received, disconnecting peers", strsignal(sig));
    stack.shutdown();
    return 0;
  } catch (const config::ConfigError& e) {
    spdlog::error("configuration error: {}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}

}  // namespace roamkey::home
