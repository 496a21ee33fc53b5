#pragma once
// Where a component records a measured value (a latency, a batch size)
// without knowing who collects it: the metrics layer passes a histogram
// (metrics/registry.h), tests pass a fake, and a component given none
// records nothing. Header-only and free of any metrics library, so domain
// code (the EAP-TSK service, the DLR queue) does not depend on one.

namespace roamkey::metrics {

class Distribution {
 public:
  virtual ~Distribution() = default;
  // Thread-safe; in base units (seconds, not milliseconds).
  virtual void observe(double value) = 0;
};

// Records into `d` when there is one.
inline void observe(Distribution* d, double value) {
  if (d != nullptr) d->observe(value);
}

}  // namespace roamkey::metrics
