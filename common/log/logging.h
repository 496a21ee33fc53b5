#pragma once
// Process-wide logging set-up on spdlog. Libraries never log; daemons and
// the CLI do, through spdlog's default logger configured here.

#include <string_view>

#include "config/config.h"

namespace roamkey::log {

// Configures the default logger: level, file or stderr, and a pattern that
// names the program and thread (operators grep by both).
void configure(const config::LogConfig& cfg, std::string_view program);

// Stderr logging at `level` before the configuration is read.
void configure_early(std::string_view program, std::string_view level = "info");

}  // namespace roamkey::log
