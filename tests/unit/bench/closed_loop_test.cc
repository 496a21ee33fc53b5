// bench/closed_loop.h: what is counted, what stops the loop, how reasons group.
#include "closed_loop.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace roamkey::bench {
namespace {

// Completes operations on a thread of its own, never inline, as Stack::send
// does with answers.
class Completer {
 public:
  Completer() : thread_([this] { run(); }) {}
  ~Completer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void later(std::function<void()> f) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(f));
    }
    wake_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

TEST(ClosedLoop, CountsOnlySuccessesOfTheMeasuredWindowAndKeepsEverySample) {
  Completer completer;
  std::atomic<std::uint64_t> started{0};
  ClosedLoop loop({.concurrency = 4, .duration_s = 0.05, .warmup_s = 0.02}, [&](ClosedLoop::Done done) {
    ++started;
    completer.later([done] { done(true, {}); });
  });
  const auto r = loop.run();
  EXPECT_GT(r.succeeded, 0u);
  EXPECT_LT(r.succeeded, started.load());  // the warm-up ran but is not counted
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.samples_us.size(), r.succeeded);
  EXPECT_TRUE(std::is_sorted(r.samples_us.begin(), r.samples_us.end()));
  EXPECT_DOUBLE_EQ(r.rate, static_cast<double>(r.succeeded) / 0.05);
  EXPECT_EQ(r.latency.samples, r.succeeded);
}

TEST(ClosedLoop, AServerRefusingEverythingStopsTheLoopAtTheFailureLimit) {
  Completer completer;
  const std::string long_reason(200, 'x');
  ClosedLoop loop({.concurrency = 8, .duration_s = 600, .warmup_s = 0}, [&](ClosedLoop::Done done) {
    completer.later([done, long_reason] { done(false, "5401 USER_UNKNOWN " + long_reason); });
  });
  const auto r = loop.run();  // returns long before the 600 s deadline
  EXPECT_GE(r.failed, ClosedLoop::kFailureLimit);
  EXPECT_LT(r.failed, ClosedLoop::kFailureLimit + 8);
  EXPECT_EQ(r.succeeded, 0u);
  ASSERT_EQ(r.errors.size(), 1u);  // cut to kReasonLength, so they group
  EXPECT_EQ(r.errors.begin()->first.size(), ClosedLoop::kReasonLength);
  EXPECT_EQ(r.errors.begin()->second, r.failed);
}

TEST(ClosedLoop, AnOperationThatThrowsCountsAsAFailure) {
  ClosedLoop loop({.concurrency = 2, .duration_s = 600, .warmup_s = 0},
                  [](ClosedLoop::Done) { throw std::runtime_error("cannot build the request"); });
  const auto r = loop.run();
  EXPECT_GE(r.failed, ClosedLoop::kFailureLimit);
  EXPECT_EQ(r.errors.count("cannot build the request"), 1u);
}

TEST(ClosedLoop, ReasonsAreCutOnACharacterBoundary) {
  Completer completer;
  // 59 ASCII bytes, then a 2-byte character across the 60-byte limit.
  const std::string reason = std::string(59, 'a') + "\xc3\xa9tranger";
  ClosedLoop loop({.concurrency = 1, .duration_s = 600, .warmup_s = 0},
                  [&](ClosedLoop::Done done) { completer.later([done, reason] { done(false, reason); }); });
  const auto r = loop.run();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.begin()->first, std::string(59, 'a'));
  EXPECT_NO_THROW((void)to_json(r, {"dlrs", "dlrs_per_s", "DLRs/s"}).dump());
}

TEST(ClosedLoop, TheReportNamesItsCountAndRateAsTheToolAsks) {
  LoopReport r;
  r.settings = {.concurrency = 3, .duration_s = 2, .warmup_s = 1};
  r.succeeded = 10;
  r.rate = 5;
  r.errors["3004 TOO_BUSY"] = 2;
  r.failed = 2;
  const auto j = to_json(r, {"exchanges", "exchanges_per_s", "exchanges/s"});
  EXPECT_EQ(j.at("exchanges"), 10);
  EXPECT_EQ(j.at("exchanges_per_s"), 5.0);
  EXPECT_EQ(j.at("concurrency"), 3);
  EXPECT_EQ(j.at("failed"), 2);
  EXPECT_EQ(j.at("errors").at("3004 TOO_BUSY"), 2);
  for (const char* k : {"p50", "p90", "p99", "p99.9", "max", "mean", "samples"})
    EXPECT_TRUE(j.at("latency_ms").contains(k)) << k;
}

}  // namespace
}  // namespace roamkey::bench
