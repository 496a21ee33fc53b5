#pragma once
// The routes every daemon's admin listener serves (docs/operations.md):
//   /metrics       Prometheus text format (404 when admin.metrics is false)
//   /healthz       200 while the process runs: liveness
//   /readyz        200 when it can serve (status "ready" or "degraded"), 503
//                  when it cannot (starting, stopping, its store failing)
//   /status/peers  every Diameter peer, its state and since when (JSON)

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "admin/admin_server.h"

namespace roamkey::diameter {
class Stack;
}
namespace roamkey::metrics {
class Registry;
}

namespace roamkey::admin {

// What a daemon says of its readiness. `ready` false takes it out of a load
// balancer; `problems` non-empty with `ready` true is "degraded": it serves,
// with less (visited-aaa whose home is down still serves cached mobiles).
struct Readiness {
  bool ready = true;
  std::vector<std::string> problems;
};

struct StatusRoutes {
  std::string program;
  const diameter::Stack* stack = nullptr;
  const metrics::Registry* metrics = nullptr;  // null: metrics are off
  // Called at each /readyz on the admin thread; must be quick and thread-safe.
  std::function<Readiness()> readiness;
};

void add_status_routes(AdminServer& server, StatusRoutes routes);

}  // namespace roamkey::admin
