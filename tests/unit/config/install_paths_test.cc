#include "config/install_paths.h"

#include <gtest/gtest.h>

namespace roamkey::config {
namespace {

const std::filesystem::path kSource = "/src/roamkey/dictionaries/roamkey.xml";
const std::filesystem::path kRelative = "../share/roamkey/roamkey.xml";

TEST(DefaultDictionary, InstalledBinaryFindsItBesideItsPrefix) {
  EXPECT_EQ(default_dictionary("/opt/rk/bin/home-aaa", "/src/roamkey/build/", kSource, kRelative),
            "/opt/rk/share/roamkey/roamkey.xml");
  EXPECT_EQ(default_dictionary("/usr/bin/visited-aaa", "/src/roamkey/build/", kSource, kRelative),
            "/usr/share/roamkey/roamkey.xml");
}

TEST(DefaultDictionary, BuildTreeBinaryUsesTheSourceCopy) {
  EXPECT_EQ(default_dictionary("/src/roamkey/build/home-aaa/home-aaa", "/src/roamkey/build/", kSource, kRelative),
            kSource);
}

TEST(DefaultDictionary, ADirectoryNamedLikeTheBuildTreeIsNotIt) {
  EXPECT_EQ(default_dictionary("/src/roamkey/build-old/bin/home-aaa", "/src/roamkey/build/", kSource, kRelative),
            "/src/roamkey/build-old/share/roamkey/roamkey.xml");
}

TEST(DefaultDictionary, ThisTestBinaryIsInTheBuildTree) {
  EXPECT_EQ(default_dictionary().filename(), "roamkey.xml");
  EXPECT_TRUE(std::filesystem::is_regular_file(default_dictionary())) << default_dictionary();
}

}  // namespace
}  // namespace roamkey::config
