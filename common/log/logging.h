#pragma once
// Process-wide logging set-up on spdlog. Libraries never log; daemons and
// the CLI do, through spdlog's default logger, installed once per process
// with one LogSink (log_sink.h). What the configuration changes (level,
// layout, file, NAI display) is applied to that logger and sink in place,
// so that a reload never swaps the logger under a thread that logs.

#include <string_view>

#include "config/config.h"

namespace roamkey::log {

// Stderr logging at `level` before the configuration is read.
void configure_early(std::string_view program, std::string_view level = "info");

// Applies `cfg`: level, log.format (text, or json; text becomes the journal
// layout when journald reads stderr), log.file, log.nai. Throws
// config::ConfigError naming log.file when the file cannot be opened; what
// ran before stays in place then.
void configure(const config::LogConfig& cfg, std::string_view program);

// SIGUSR1: closes and opens log.file again (after logrotate moved it).
// Returns false, and logs why to the old file, when it cannot be opened.
bool reopen();

}  // namespace roamkey::log
