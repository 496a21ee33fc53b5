#pragma once
// What every RoamKey program's command line has in common: --version, and
// the exit codes of a usage error (2) and of --help/--version (0), which
// CLI11 would otherwise report as its own codes (106 for an unknown option).

#include <CLI/CLI.hpp>

#include <optional>
#include <string_view>

namespace roamkey::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Adds --version (prints version_line(program) and exits 0).
void add_version_flag(CLI::App& app, std::string_view program);

// Parses; returns an exit code when the program must end now: 0 after
// --help or --version (already printed), kExitUsage after a usage error
// (printed to stderr as "<program>: <problem> (see --help)").
std::optional<int> parse(CLI::App& app, int argc, char** argv, std::string_view program);

}  // namespace roamkey::cli
