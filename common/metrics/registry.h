#pragma once
// A daemon's metrics, exposed by the admin listener's /metrics in the
// Prometheus text format (version 0.0.4) through prometheus-cpp.
//
// Two kinds of series:
//  - pushed: counters and histograms the hot path updates (Diameter traffic,
//    latencies), prometheus-cpp's own thread-safe types;
//  - pulled: values a component already keeps (cache size, queue depth,
//    counters in its stats), read by a callback at scrape time, so that the
//    hot path pays nothing for them.
// Names follow Prometheus conventions: roamkey_ prefix, base units
// (seconds), counters ending in _total.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/distribution.h"

namespace roamkey::metrics {

// One series of a pulled family.
struct Sample {
  prometheus::Labels labels;
  double value = 0;
};
using Sampler = std::function<std::vector<Sample>()>;

enum class Kind { Counter, Gauge };

class Registry {
 public:
  // Adds roamkey_build_info{program, version, git} 1 and
  // roamkey_start_time_seconds.
  explicit Registry(std::string program);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  prometheus::Registry& prometheus() { return *registry_; }

  // A histogram family's series for `labels`, usable as a Distribution.
  // The returned reference lives as long as the registry.
  Distribution& histogram(const std::string& name, const std::string& help, const std::vector<double>& buckets,
                          const prometheus::Labels& labels = {});

  // A family whose series `sampler` returns at each scrape (on the admin
  // listener's thread: it must be thread-safe and quick).
  void pull(const std::string& name, const std::string& help, Kind kind, Sampler sampler);
  // The same for a single series without labels.
  void pull(const std::string& name, const std::string& help, Kind kind, std::function<double()> value);

  // Every family, in the text exposition format.
  std::string serialize() const;

 private:
  class Pulled;
  class HistogramSink;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Pulled> pulled_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<HistogramSink>> histograms_;
};

// Bucket bounds in seconds from 100 us to 10 s, for request latencies.
std::vector<double> latency_buckets();

}  // namespace roamkey::metrics
