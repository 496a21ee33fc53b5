#include "metrics/registry.h"

#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <sstream>

#include "cli/version.h"

namespace roamkey::metrics {

namespace {

prometheus::MetricType type_of(Kind k) {
  return k == Kind::Counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
}

}  // namespace

class Registry::HistogramSink final : public Distribution {
 public:
  explicit HistogramSink(prometheus::Histogram& h) : histogram_(h) {}
  void observe(double value) override { histogram_.Observe(value); }

 private:
  prometheus::Histogram& histogram_;
};

// The pulled families, collected at scrape time.
class Registry::Pulled {
 public:
  struct Family {
    std::string name;
    std::string help;
    Kind kind;
    Sampler sampler;
  };

  void add(Family f) {
    std::lock_guard lock(mutex_);
    families_.push_back(std::move(f));
  }

  std::vector<prometheus::MetricFamily> collect() const {
    std::vector<Family> families;
    {
      std::lock_guard lock(mutex_);
      families = families_;
    }
    std::vector<prometheus::MetricFamily> out;
    out.reserve(families.size());
    for (const auto& f : families) {
      prometheus::MetricFamily mf;
      mf.name = f.name;
      mf.help = f.help;
      mf.type = type_of(f.kind);
      for (auto& s : f.sampler()) {
        prometheus::ClientMetric m;
        for (auto& [k, v] : s.labels) m.label.push_back({k, v});
        if (f.kind == Kind::Counter)
          m.counter.value = s.value;
        else
          m.gauge.value = s.value;
        mf.metric.push_back(std::move(m));
      }
      out.push_back(std::move(mf));
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Family> families_;
};

Registry::Registry(std::string program)
    : registry_(std::make_shared<prometheus::Registry>()), pulled_(std::make_unique<Pulled>()) {
  prometheus::BuildGauge()
      .Name("roamkey_build_info")
      .Help("The program and its version; always 1")
      .Register(*registry_)
      .Add({{"program", program}, {"version", cli::kProjectVersion}, {"git", cli::kGitDescribe}})
      .Set(1);
  const auto start = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  prometheus::BuildGauge()
      .Name("roamkey_start_time_seconds")
      .Help("When the process started, in seconds since the Unix epoch")
      .Register(*registry_)
      .Add({})
      .Set(start);
}

Registry::~Registry() = default;

Distribution& Registry::histogram(const std::string& name, const std::string& help, const std::vector<double>& buckets,
                                  const prometheus::Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  auto& h = family.Add(labels, prometheus::Histogram::BucketBoundaries(buckets));
  histograms_.push_back(std::make_unique<HistogramSink>(h));
  return *histograms_.back();
}

void Registry::pull(const std::string& name, const std::string& help, Kind kind, Sampler sampler) {
  pulled_->add({name, help, kind, std::move(sampler)});
}

void Registry::pull(const std::string& name, const std::string& help, Kind kind, std::function<double()> value) {
  pull(name, help, kind, [value = std::move(value)] { return std::vector<Sample>{{{}, value()}}; });
}

std::string Registry::serialize() const {
  auto families = registry_->Collect();
  auto pulled = pulled_->collect();
  families.insert(families.end(), std::make_move_iterator(pulled.begin()), std::make_move_iterator(pulled.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace roamkey::metrics
