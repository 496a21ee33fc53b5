#include "mobile_state.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace roamkey::client {
namespace {

// One scratch directory per test, removed afterwards.
class MobileStateTest : public ::testing::Test {
 protected:
  MobileStateTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "roamkey-client-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~MobileStateTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::filesystem::path file(const std::string& name) const { return dir_ / name; }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary | std::ios::trunc) << content;
    return file(name);
  }
  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::filesystem::path dir_;
};

TEST_F(MobileStateTest, MissingFileIsAnEmptyState) {
  const auto s = MobileState::load(file("absent.json"));
  EXPECT_EQ(s.highest_generation("alice@home.example"), 0U);
  EXPECT_FALSE(std::filesystem::exists(file("absent.json"))) << "loading creates nothing";
}

TEST_F(MobileStateTest, MalformedFileThrowsNamingTheFile) {
  for (const char* content : {"{ not json", "[]", "{}", R"({"subscribers": {"a@b": {}}})",
                              R"({"subscribers": {"a@b": {"highest_generation": "seven"}}})",
                              R"({"subscribers": {"a@b": {"highest_generation": -1}}})",
                              R"({"subscribers": {"a@b": {"highest_generation": 4294967296}}})"}) {
    const auto p = write("state.json", content);
    try {
      MobileState::load(p);
      ADD_FAILURE() << "no error for " << content;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  }
}

TEST_F(MobileStateTest, ReadsTheGenerationsOfAWellFormedFile) {
  const auto p = write("state.json", R"({"subscribers": {"alice@home.example": {"highest_generation": 7},
                                                          "bob@home.example": {"highest_generation": 4294967295}}})");
  const auto s = MobileState::load(p);
  EXPECT_EQ(s.highest_generation("alice@home.example"), 7U);
  EXPECT_EQ(s.highest_generation("bob@home.example"), 4294967295U);
  EXPECT_EQ(s.highest_generation("carol@home.example"), 0U);
}

TEST_F(MobileStateTest, AcceptNeverLowersAGeneration) {
  auto s = MobileState::load(file("state.json"));
  s.accept("alice@home.example", 5);
  EXPECT_EQ(s.highest_generation("alice@home.example"), 5U);
  s.accept("alice@home.example", 3);
  EXPECT_EQ(s.highest_generation("alice@home.example"), 5U);
  s.accept("alice@home.example", 0);
  EXPECT_EQ(s.highest_generation("alice@home.example"), 5U);
  s.accept("alice@home.example", 9);
  EXPECT_EQ(s.highest_generation("alice@home.example"), 9U);
  EXPECT_EQ(s.highest_generation("bob@home.example"), 0U) << "per NAI";
}

TEST_F(MobileStateTest, NaisAreDistinctByExactSpelling) {
  auto s = MobileState::load(file("state.json"));
  s.accept("alice@home.example", 5);
  EXPECT_EQ(s.highest_generation("Alice@home.example"), 0U);
}

TEST_F(MobileStateTest, SaveAndReloadRoundTrip) {
  const auto p = file("state.json");
  {
    auto s = MobileState::load(p);
    s.accept("alice@home.example", 7);
    s.accept("bob@home.example", 4294967295U);
    s.save();
  }
  auto reloaded = MobileState::load(p);
  EXPECT_EQ(reloaded.highest_generation("alice@home.example"), 7U);
  EXPECT_EQ(reloaded.highest_generation("bob@home.example"), 4294967295U);

  // A second round keeps what was there and adds the new generation.
  reloaded.accept("alice@home.example", 8);
  reloaded.save();
  const auto again = MobileState::load(p);
  EXPECT_EQ(again.highest_generation("alice@home.example"), 8U);
  EXPECT_EQ(again.highest_generation("bob@home.example"), 4294967295U);
}

TEST_F(MobileStateTest, EmptyStateSavesALoadableFile) {
  const auto p = file("state.json");
  MobileState::load(p).save();
  ASSERT_TRUE(std::filesystem::exists(p));
  EXPECT_EQ(MobileState::load(p).highest_generation("alice@home.example"), 0U);
}

TEST_F(MobileStateTest, SaveReplacesTheFileThroughARename) {
  const auto p = file("state.json");
  write("state.json", R"({"subscribers": {"alice@home.example": {"highest_generation": 1}}})");
  // A hard link to the old file keeps its inode: a rename leaves that inode's
  // content alone, an in-place rewrite would change it.
  const auto old_link = file("old.json");
  std::filesystem::create_hard_link(p, old_link);
  const auto before = read(old_link);

  auto s = MobileState::load(p);
  s.accept("alice@home.example", 2);
  s.save();

  EXPECT_EQ(read(old_link), before) << "the old file was rewritten in place";
  EXPECT_EQ(MobileState::load(p).highest_generation("alice@home.example"), 2U);
  EXPECT_FALSE(std::filesystem::exists(file("state.json.tmp"))) << "temporary file left behind";
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const auto name = entry.path().filename().string();
    EXPECT_TRUE(name == "state.json" || name == "old.json") << "stray file " << name;
  }
}

TEST_F(MobileStateTest, SaveIntoAMissingDirectoryThrowsAndKeepsNothing) {
  auto s = MobileState::load(file("no/such/dir/state.json"));
  s.accept("alice@home.example", 1);
  EXPECT_THROW(s.save(), std::exception);
  EXPECT_FALSE(std::filesystem::exists(file("no")));
}

TEST_F(MobileStateTest, FailedSaveLeavesTheOldStateIntact) {
  const auto p = write("state.json", R"({"subscribers": {"alice@home.example": {"highest_generation": 3}}})");
  auto s = MobileState::load(p);
  s.accept("alice@home.example", 4);
  // The temporary file cannot be created (a directory holds its name), even for root.
  std::filesystem::create_directory(file("state.json.tmp"));
  EXPECT_THROW(s.save(), std::runtime_error);
  EXPECT_EQ(MobileState::load(p).highest_generation("alice@home.example"), 3U);
}

}  // namespace
}  // namespace roamkey::client
