#pragma once
// What freeDiameter tells the operator: its log routed into spdlog, and the
// hooks that report peers going up and down and messages it had to drop.

#include <string_view>

namespace roamkey::diameter {

// Must run before fd_core_initialize (only one handler can exist, notes sec. 1).
void route_core_log(std::string_view min_level);
// Registers quiet message hooks (the default ones cost 15-24 % throughput,
// notes sec. 7.1), an error logger and peer up/down reporting.
void register_hooks();

}  // namespace roamkey::diameter
