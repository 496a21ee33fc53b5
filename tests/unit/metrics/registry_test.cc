#include "metrics/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace roamkey::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Registry, NamesTheBuildAndTheStart) {
  Registry r("home-aaa");
  const auto text = r.serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE roamkey_build_info gauge"));
  EXPECT_THAT(text, HasSubstr("program=\"home-aaa\""));
  EXPECT_THAT(text, HasSubstr("roamkey_start_time_seconds "));
}

TEST(Registry, PulledFamiliesAreReadAtEachScrape) {
  Registry r("x");
  double depth = 3;
  std::uint64_t retries = 0;
  r.pull("roamkey_test_depth", "a depth", Kind::Gauge, [&] { return depth; });
  r.pull("roamkey_test_retries_total", "retries", Kind::Counter, [&] {
    return std::vector<Sample>{{{{"request", "KUR"}}, double(retries)}, {{{"request", "DRR"}}, 2}};
  });
  auto text = r.serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE roamkey_test_depth gauge\nroamkey_test_depth 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE roamkey_test_retries_total counter\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_test_retries_total{request=\"KUR\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_test_retries_total{request=\"DRR\"} 2\n"));
  depth = 7;
  retries = 5;
  text = r.serialize();
  EXPECT_THAT(text, HasSubstr("roamkey_test_depth 7\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_test_retries_total{request=\"KUR\"} 5\n"));
}

TEST(Registry, HistogramsAreDistributionsInSeconds) {
  Registry r("x");
  auto& d = r.histogram("roamkey_test_duration_seconds", "a duration", {0.001, 0.01, 0.1});
  d.observe(0.0005);
  d.observe(0.05);
  observe(&d, 5);
  observe(nullptr, 1);  // no sink: nothing, no crash
  const auto text = r.serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE roamkey_test_duration_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("roamkey_test_duration_seconds_count 3\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_test_duration_seconds_bucket{le=\"0.001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_test_duration_seconds_bucket{le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_test_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
}

TEST(Registry, LatencyBucketsAreIncreasingSeconds) {
  const auto b = latency_buckets();
  ASSERT_FALSE(b.empty());
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  EXPECT_LE(b.front(), 0.001);
  EXPECT_GE(b.back(), 5.0);
}

}  // namespace
}  // namespace roamkey::metrics
