#include "log/log_sink.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <sstream>
#include <vector>

#include "log/log_event.h"
#include "log/logged_nai.h"
#include "support/scratch_dir.h"

namespace roamkey::log {
namespace {

using test::read_file;
using test::ScratchDir;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class LogSinkTest : public ::testing::Test {
 protected:
  LogSinkTest() : sink_(std::make_shared<LogSink>("visited-aaa")), logger_("test", sink_) {
    logger_.set_level(spdlog::level::trace);
    sink_->set_destination(dir_ / "roamkey.log");
  }
  ~LogSinkTest() override { set_nai_display(NaiDisplay::Full); }

  std::string written() const { return read_file(dir_ / "roamkey.log"); }

  ScratchDir dir_;
  std::shared_ptr<LogSink> sink_;
  spdlog::logger logger_;
};

TEST_F(LogSinkTest, TextLineHasTimeProgramLevelAndMessage) {
  logger_.warn("DLR refused");
  const auto l = lines(written());
  ASSERT_EQ(l.size(), 1u);
  EXPECT_NE(l[0].find("visited-aaa["), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("warning"), std::string::npos) << l[0];
  EXPECT_TRUE(l[0].ends_with("DLR refused")) << l[0];
  EXPECT_EQ(l[0][4], '-') << "starts with the date: " << l[0];
}

TEST_F(LogSinkTest, JournalLineCarriesOnlyThePriorityAndTheMessage) {
  sink_->set_layout(Layout::Journal);
  logger_.error("e");
  logger_.warn("w");
  logger_.info("i");
  logger_.debug("d");
  // sd-daemon(3): journald stamps the time; the <N> prefix is the priority.
  EXPECT_EQ(lines(written()), (std::vector<std::string>{"<3>e", "<4>w", "<6>i", "<7>d"}));
}

TEST_F(LogSinkTest, JsonLineHasTheEventFields) {
  sink_->set_layout(Layout::Json);
  {
    const EventScope event{{"DLR", "visited.example", 5402, "alice@home.example"}};
    logger_.warn("refused");
  }
  logger_.info("outside any event");
  const auto l = lines(written());
  ASSERT_EQ(l.size(), 2u);
  const auto first = nlohmann::json::parse(l[0]);
  EXPECT_EQ(first.at("level"), "warning");
  EXPECT_EQ(first.at("program"), "visited-aaa");
  EXPECT_EQ(first.at("event"), "DLR");
  EXPECT_EQ(first.at("peer"), "visited.example");
  EXPECT_EQ(first.at("result_code"), 5402);
  EXPECT_EQ(first.at("nai"), "alice@home.example");
  EXPECT_EQ(first.at("msg"), "refused");
  EXPECT_TRUE(first.contains("time"));
  EXPECT_TRUE(first.contains("pid"));
  const auto second = nlohmann::json::parse(l[1]);
  EXPECT_FALSE(second.contains("event"));
  EXPECT_FALSE(second.contains("nai"));
  EXPECT_EQ(second.at("msg"), "outside any event");
}

TEST_F(LogSinkTest, JsonNaiFollowsTheDisplaySetting) {
  sink_->set_layout(Layout::Json);
  const EventScope event{{"DER", "nas.visited.example", 2001, "alice@home.example"}};
  set_nai_display(NaiDisplay::Realm);
  logger_.info("a");
  set_nai_display(NaiDisplay::Hidden);
  logger_.info("b");
  const auto l = lines(written());
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(l[0]).at("nai"), "*@home.example");
  EXPECT_FALSE(nlohmann::json::parse(l[1]).contains("nai"));
}

TEST_F(LogSinkTest, JsonReplacesInvalidUtf8InsteadOfThrowing) {
  sink_->set_layout(Layout::Json);
  logger_.info("peer sent {}", std::string("\xff\xfe", 2));
  const auto l = lines(written());
  ASSERT_EQ(l.size(), 1u);
  const auto j = nlohmann::json::parse(l[0], nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << l[0];
  EXPECT_TRUE(j.at("msg").get<std::string>().starts_with("peer sent ")) << l[0];
}

TEST_F(LogSinkTest, InnermostEventScopeWins) {
  sink_->set_layout(Layout::Json);
  const EventScope outer{{"KPR", "a", 0, ""}};
  {
    const EventScope inner{{"KUR", "b", 2001, ""}};
    logger_.info("inner");
  }
  logger_.info("outer");
  const auto l = lines(written());
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(l[0]).at("event"), "KUR");
  EXPECT_EQ(nlohmann::json::parse(l[1]).at("event"), "KPR");
}

TEST_F(LogSinkTest, FileIsNotWorldReadable) {
  logger_.info("x");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "roamkey.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u);
  EXPECT_EQ(st.st_mode & 0777 & ~0640, 0u);
}

TEST_F(LogSinkTest, ReopenFollowsARotatedFile) {
  logger_.info("before");
  std::filesystem::rename(dir_ / "roamkey.log", dir_ / "roamkey.log.1");
  logger_.info("still to the renamed file");
  sink_->reopen();
  logger_.info("after");
  EXPECT_EQ(lines(read_file(dir_ / "roamkey.log.1")).size(), 2u);
  const auto now = lines(written());
  ASSERT_EQ(now.size(), 1u);
  EXPECT_TRUE(now[0].ends_with("after"));
}

TEST_F(LogSinkTest, UnopenableFileKeepsTheOldDestination) {
  EXPECT_THROW(sink_->set_destination(dir_ / "missing" / "x.log"), std::runtime_error);
  logger_.info("kept");
  EXPECT_EQ(sink_->file(), dir_ / "roamkey.log");
  EXPECT_EQ(lines(written()).size(), 1u);
}

TEST_F(LogSinkTest, ReopenFailureKeepsWritingToTheOpenFile) {
  const auto sub = dir_ / "sub";
  std::filesystem::create_directory(sub);
  sink_->set_destination(sub / "a.log");
  std::filesystem::rename(sub, dir_ / "moved");
  EXPECT_THROW(sink_->reopen(), std::runtime_error);
  logger_.info("still here");
  EXPECT_EQ(lines(read_file(dir_ / "moved" / "a.log")).size(), 1u);
}

}  // namespace
}  // namespace roamkey::log
