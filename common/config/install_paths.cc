#include "config/install_paths.h"

#include <system_error>

#ifndef ROAMKEY_BUILD_DIR
#error "ROAMKEY_BUILD_DIR must be set by common/config/CMakeLists.txt"
#endif

namespace roamkey::config {

namespace {

// `dir` ends with a separator, so that build-old/ is not inside build/.
bool inside(const std::filesystem::path& p, const std::filesystem::path& dir) {
  const auto& d = dir.native();
  return !d.empty() && d.back() == '/' && p.native().compare(0, d.size(), d) == 0;
}

}  // namespace

std::filesystem::path default_dictionary(const std::filesystem::path& exe, const std::filesystem::path& build_dir,
                                         const std::filesystem::path& source_dictionary,
                                         const std::filesystem::path& relative_dictionary) {
  if (!exe.empty() && inside(exe.lexically_normal(), build_dir)) return source_dictionary;
  if (exe.empty()) return relative_dictionary;
  return (exe.parent_path() / relative_dictionary).lexically_normal();
}

std::filesystem::path default_dictionary() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return default_dictionary(ec ? std::filesystem::path() : exe, ROAMKEY_BUILD_DIR, ROAMKEY_SOURCE_DICTIONARY,
                            ROAMKEY_RELATIVE_DICTIONARY);
}

}  // namespace roamkey::config
