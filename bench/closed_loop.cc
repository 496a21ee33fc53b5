#include "closed_loop.h"

#include <algorithm>
#include <exception>
#include <iomanip>

namespace roamkey::bench {

namespace {

Clock::duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Cut on a UTF-8 character boundary: the reason ends up in JSON, which
// refuses a broken sequence.
std::string shorten(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

double ms(std::int64_t us) {
  return static_cast<double>(us) / 1000.0;
}

}  // namespace

ClosedLoop::ClosedLoop(LoopSettings settings, Operation operation)
    : settings_(settings), operation_(std::move(operation)) {}

LoopReport ClosedLoop::run() {
  {
    std::lock_guard lock(mutex_);
    report_ = LoopReport{};
    report_.settings = settings_;
    window_start_ = Clock::now() + seconds_to_duration(settings_.warmup_s);
    deadline_ = window_start_ + seconds_to_duration(settings_.duration_s);
  }
  for (unsigned i = 0; i < settings_.concurrency; ++i) {
    {
      std::lock_guard lock(mutex_);
      ++in_flight_;
    }
    start_one();
  }
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return in_flight_ == 0; });
  LoopReport r = std::move(report_);
  lock.unlock();
  r.latency = client::summarize(r.samples_us);
  r.rate = static_cast<double>(r.succeeded) / settings_.duration_s;
  return r;
}

void ClosedLoop::start_one() {
  const auto started = Clock::now();
  try {
    operation_([this, started](bool ok, std::string failure) { finish(started, ok, std::move(failure)); });
  } catch (const std::exception& e) {
    finish(started, false, e.what());
  }
}

void ClosedLoop::finish(Clock::time_point started, bool ok, std::string failure) {
  const auto now = Clock::now();
  bool again;
  {
    std::lock_guard lock(mutex_);
    if (!ok) {
      ++report_.failed;
      failure = shorten(std::move(failure), kReasonLength);
      ++report_.errors[failure];
    } else if (started >= window_start_ && now < deadline_) {
      ++report_.succeeded;
      report_.samples_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - started).count());
    }
    again = now < deadline_ && report_.failed < kFailureLimit;
    // The last one out wakes run(); once the lock is released nothing here
    // touches `this`, which run()'s caller may then destroy.
    if (!again && --in_flight_ == 0) idle_.notify_all();
  }
  if (again) start_one();
}

nlohmann::json to_json(const LoopReport& r, const ReportNames& names) {
  const auto& lat = r.latency;
  return nlohmann::json{{"concurrency", r.settings.concurrency},
                        {"duration_s", r.settings.duration_s},
                        {"warmup_s", r.settings.warmup_s},
                        {names.count_key, r.succeeded},
                        {"failed", r.failed},
                        {names.rate_key, r.rate},
                        {"latency_ms",
                         {{"samples", lat.samples},
                          {"mean", lat.mean_us / 1000.0},
                          {"p50", ms(lat.p50_us)},
                          {"p90", ms(lat.p90_us)},
                          {"p99", ms(lat.p99_us)},
                          {"p99.9", ms(lat.p999_us)},
                          {"max", ms(lat.max_us)}}},
                        {"errors", r.errors}};
}

void print_text(std::ostream& out, const std::string& headline, const LoopReport& r, const ReportNames& names) {
  // Labels padded to one column so that the figures line up.
  const auto label = [](std::string s) {
    s.resize(std::max<std::size_t>(s.size() + 1, 14), ' ');
    return s;
  };
  const auto& lat = r.latency;
  const auto flags = out.flags();
  const auto precision = out.precision();
  out << std::fixed << std::setprecision(2) << headline << ", " << r.settings.concurrency << " in flight, "
      << r.settings.duration_s << " s\n  " << label(names.rate_label) << r.rate << "\n  " << label("latency (ms)")
      << "p50 " << ms(lat.p50_us) << "  p90 " << ms(lat.p90_us) << "  p99 " << ms(lat.p99_us) << "  p99.9 "
      << ms(lat.p999_us) << "  max " << ms(lat.max_us) << "\n  " << label("failed") << r.failed << "\n";
  for (const auto& [reason, n] : r.errors) out << "  " << label("error") << n << " x " << reason << "\n";
  out.flags(flags);
  out.precision(precision);
}

}  // namespace roamkey::bench
