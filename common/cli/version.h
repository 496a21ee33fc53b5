#pragma once
// The version every RoamKey program reports with --version: the CMake
// project version, and `git describe` when built from a git checkout
// (generated into the build tree by cmake/version.cmake).

#include <string>
#include <string_view>

namespace roamkey::cli {

extern const char* const kProjectVersion;  // "0.1.0"
extern const char* const kGitDescribe;     // "dd4f36e-dirty", or "" outside git

// "home-aaa 0.1.0 (git dd4f36e)" or "home-aaa 0.1.0".
std::string version_line(std::string_view program);

}  // namespace roamkey::cli
