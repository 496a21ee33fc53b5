#pragma once
// Where an installed or a built RoamKey finds its data files.
//
// An installed binary (PREFIX/bin/home-aaa) finds the dictionary relative to
// itself (PREFIX/share/roamkey/roamkey.xml), so that a package or a
// `cmake --install --prefix P` works wherever it lands. A binary run from the
// build tree uses the source tree's copy; nothing else ever does.

#include <filesystem>

namespace roamkey::config {

// The dictionary used when diameter.dictionary is not set.
std::filesystem::path default_dictionary();

// The same decision with the inputs spelled out (unit tests): `exe` is the
// running binary, `build_dir` the build tree it may be in, `source_dictionary`
// the source tree's copy, `relative_dictionary` the installed one relative to
// the binary's directory (../share/roamkey/roamkey.xml).
std::filesystem::path default_dictionary(const std::filesystem::path& exe, const std::filesystem::path& build_dir,
                                         const std::filesystem::path& source_dictionary,
                                         const std::filesystem::path& relative_dictionary);

}  // namespace roamkey::config
