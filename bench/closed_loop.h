#pragma once
// The closed loop every bench/ load generator runs (issue 4): a fixed number
// of operations in flight, each completion starting the next one, so that
// the figure is the rate the server sustains at that concurrency rather than
// an offered rate. Only operations started after the warm-up and completed
// before the deadline are measured; every sample is kept (nearest-rank
// percentiles, aaa-client/bench.h). Also the report both tools print, so
// that their figures read the same way.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "bench.h"

namespace roamkey::bench {

using Clock = std::chrono::steady_clock;

struct LoopSettings {
  unsigned concurrency = 1;
  double duration_s = 10;  // measured
  double warmup_s = 2;     // run but not measured, before the measured window
};

struct LoopReport {
  LoopSettings settings;
  std::uint64_t succeeded = 0;           // started and completed inside the measured window
  std::uint64_t failed = 0;              // every failure, warm-up included
  double rate = 0;                       // succeeded / duration_s
  std::vector<std::int64_t> samples_us;  // sorted
  client::LatencySummary latency;
  std::map<std::string, std::uint64_t> errors;  // failure reason -> count
};

class ClosedLoop {
 public:
  // Completes one operation: ok, or a failure reason (truncated to
  // kReasonLength when counted, so that similar failures group).
  using Done = std::function<void(bool ok, std::string failure)>;
  // Starts one operation (sends one request) and returns without waiting;
  // `done` must run exactly once, on any thread, never inline with the
  // call (Stack::send guarantees both). An exception counts as a failure.
  using Operation = std::function<void(Done done)>;

  // A server refusing everything would otherwise be measured for the whole
  // duration at full speed.
  static constexpr std::uint64_t kFailureLimit = 1000;
  static constexpr std::size_t kReasonLength = 60;

  ClosedLoop(LoopSettings settings, Operation operation);
  ClosedLoop(const ClosedLoop&) = delete;
  ClosedLoop& operator=(const ClosedLoop&) = delete;

  // Blocks until the deadline (or kFailureLimit failures) and until every
  // operation in flight has completed.
  LoopReport run();

 private:
  void start_one();
  void finish(Clock::time_point started, bool ok, std::string failure);

  LoopSettings settings_;
  Operation operation_;
  std::mutex mutex_;
  std::condition_variable idle_;
  unsigned in_flight_ = 0;
  Clock::time_point window_start_, deadline_;
  LoopReport report_;
};

// What a tool calls its operation in the report: JSON keys `count_key` and
// `rate_key` ("exchanges", "exchanges_per_s"), text label `rate_label`.
struct ReportNames {
  std::string count_key;
  std::string rate_key;
  std::string rate_label;
};

// {concurrency, duration_s, warmup_s, <count_key>, failed, <rate_key>,
//  latency_ms: {samples, mean, p50, p90, p99, p99.9, max}, errors}
nlohmann::json to_json(const LoopReport& report, const ReportNames& names);
// "<headline>, C in flight, S s", the rate, percentiles, failures and reasons.
void print_text(std::ostream& out, const std::string& headline, const LoopReport& report, const ReportNames& names);

}  // namespace roamkey::bench
