#include "admin/status_routes.h"

#include <nlohmann/json.hpp>

#include <ctime>

#include "cli/version.h"
#include "diameter/stack.h"
#include "metrics/registry.h"
#include "time/iso8601.h"

namespace roamkey::admin {

namespace {

Response json(unsigned status, const nlohmann::json& body) {
  return {status, "application/json", body.dump(2) + "\n"};
}

}  // namespace

void add_status_routes(AdminServer& server, StatusRoutes r) {
  const auto shared = std::make_shared<StatusRoutes>(std::move(r));
  server.route("/metrics", [shared] {
    if (shared->metrics == nullptr)
      return Response{404, "text/plain; charset=utf-8", "metrics are off (admin.metrics: false)\n"};
    return Response{200, "text/plain; version=0.0.4; charset=utf-8", shared->metrics->serialize()};
  });
  server.route("/healthz", [shared] {
    return json(200, {{"status", "alive"}, {"program", shared->program}, {"version", cli::kProjectVersion}});
  });
  server.route("/readyz", [shared] {
    Readiness ready;
    if (!shared->stack->serving()) {
      ready.ready = false;
      ready.problems.emplace_back(diameter::stopping() ? "shutting down" : "starting: the Diameter stack is not up");
    } else if (shared->readiness) {
      ready = shared->readiness();
    }
    const char* status = !ready.ready ? "not_ready" : ready.problems.empty() ? "ready" : "degraded";
    return json(ready.ready ? 200 : 503, {{"status", status}, {"problems", ready.problems}});
  });
  server.route("/status/peers", [shared] {
    auto peers = nlohmann::json::array();
    const auto now = std::chrono::system_clock::now();
    for (const auto& p : shared->stack->peers()) {
      peers.push_back({{"identity", p.identity},
                       {"state", p.state},
                       {"open", p.open},
                       {"since", iso8601(p.since)},
                       {"for_seconds", std::chrono::duration_cast<std::chrono::seconds>(now - p.since).count()}});
    }
    return json(200, {{"peers", peers}});
  });
}

}  // namespace roamkey::admin
