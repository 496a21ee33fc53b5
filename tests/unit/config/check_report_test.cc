#include "config/check_report.h"

#include "config/config.h"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

namespace roamkey::config {
namespace {

TEST(CheckReport, NoProblemPrintsOkAndExitsZero) {
  CheckReport r;
  EXPECT_TRUE(r.check([] {}));
  std::ostringstream out, err;
  EXPECT_EQ(r.finish("home.yaml", out, err), 0);
  EXPECT_EQ(out.str(), "home.yaml: OK\n");
  EXPECT_EQ(err.str(), "");
}

TEST(CheckReport, EveryCheckRunsAndEveryLineIsReportedOnce) {
  CheckReport r;
  EXPECT_FALSE(r.check([] { throw ConfigError("home.yaml: a: bad"); }));
  EXPECT_FALSE(r.check([] { throw std::runtime_error("home.yaml: b: bad\nhome.yaml: c: bad"); }));
  EXPECT_FALSE(r.check([] { throw ConfigError("home.yaml: a: bad"); }));  // a check that repeats another's
  EXPECT_TRUE(r.check([] {}));
  std::ostringstream out, err;
  EXPECT_EQ(r.finish("home.yaml", out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "home.yaml: a: bad\nhome.yaml: b: bad\nhome.yaml: c: bad\nhome.yaml: 3 problems\n");
}

}  // namespace
}  // namespace roamkey::config
