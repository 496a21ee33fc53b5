#pragma once
// The home-aaa daemon (`home-aaa run --config FILE`): loads the
// configuration, opens the subscriber store, serves the Delegation
// application over Diameter until SIGTERM/SIGINT. Returns the process exit
// code.

#include <string>

namespace roamkey::home {

int run_daemon(const std::string& config_path);

}  // namespace roamkey::home
