#pragma once
// What freeDiameter tells the operator: its log routed into spdlog, and the
// hooks that report peers going up and down and messages it had to drop.

#include <chrono>
#include <string>
#include <string_view>

namespace roamkey::diameter {

// Must run before fd_core_initialize (only one handler can exist, notes sec. 1).
void route_core_log(std::string_view min_level);
// Registers quiet message hooks (the default ones cost 15-24 % throughput,
// notes sec. 7.1), an error logger and peer up/down reporting.
void register_hooks();

// When `identity` last went up or down (open is whether it is open now):
// the time a hook reported it, or, for a change no hook reported, the first
// call that sees it; the process's start for a peer never seen to change.
std::chrono::system_clock::time_point peer_open_since(const std::string& identity, bool open);

}  // namespace roamkey::diameter
