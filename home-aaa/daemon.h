#pragma once
// The home-aaa daemon (`home-aaa run --config FILE`): loads the
// configuration, opens the subscriber store, serves the Delegation
// application over Diameter until SIGTERM/SIGINT. Returns the process exit
// code.

#include <ostream>
#include <string>

namespace roamkey::home {

// 0 after SIGTERM/SIGINT, 1 on a configuration or runtime error.
int run_daemon(const std::string& config_path);

// `home-aaa check-config`: every problem of the configuration, the TLS
// credentials, the master key and the store (opened read-only); 0 or 1.
int check_config(const std::string& config_path, std::ostream& out, std::ostream& err);

}  // namespace roamkey::home
