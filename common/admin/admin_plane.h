#pragma once
// What a daemon exposes to its operator besides Diameter: its metrics
// registry and the admin listener with the status routes (status_routes.h),
// set up the same way by home-aaa and visited-aaa.
//
// Order of use: construct (binds admin.listen, so that a port in use fails
// before Diameter starts), register the daemon's own metrics on metrics(),
// attach() the Stack once it exists, start() once the Stack is started.

#include <memory>
#include <optional>
#include <string>

#include "admin/admin_server.h"
#include "admin/status_routes.h"
#include "config/config.h"
#include "metrics/diameter_metrics.h"
#include "metrics/registry.h"

namespace roamkey::admin {

class AdminPlane {
 public:
  AdminPlane(std::string program, const config::AdminConfig& config);
  ~AdminPlane();
  AdminPlane(const AdminPlane&) = delete;
  AdminPlane& operator=(const AdminPlane&) = delete;

  // Null when admin.metrics is false: nothing is counted.
  metrics::Registry* metrics() { return registry_ ? &*registry_ : nullptr; }

  // Counts the Stack's traffic (before Stack::start) and serves its peers;
  // `readiness` answers /readyz once the Stack serves.
  void attach(diameter::Stack& stack, std::function<Readiness()> readiness);
  void start();
  void stop();

  // "127.0.0.1:9868", or "" without a listener.
  std::string bound() const { return server_ ? server_->bound() : std::string(); }

 private:
  std::string program_;
  std::optional<metrics::Registry> registry_;
  std::optional<metrics::DiameterMetrics> diameter_;
  std::unique_ptr<AdminServer> server_;
};

}  // namespace roamkey::admin
