#pragma once
// A configuration reload on SIGHUP (docs/operations.md, "Reload"), the part
// both daemons share: what it did, how it is counted, how the shared
// sections compare with the running ones, and the signal loop.
//
// A reload reads and validates the whole file first; a file with any
// problem changes nothing. What can change in a running process is applied
// without touching a Diameter link; what cannot (the node's identity, its
// listeners, its TLS credentials ...) is named in the log as taking effect
// at the next start, and the rest is applied.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "diameter/stack.h"
#include "metrics/registry.h"
#include "service/service_notifier.h"

namespace roamkey::service {

struct ReloadReport {
  std::vector<std::string> errors;          // the file was refused: nothing applied
  std::vector<std::string> applied;         // "aaa_clients: nas2.visited.example added"
  std::vector<std::string> restart_needed;  // "diameter.identity changed: takes effect at the next start"

  bool ok() const { return errors.empty(); }
};

// Counts reloads for /metrics: roamkey_config_reloads_total{result} and
// roamkey_config_last_reload_successful (as Prometheus itself exposes).
class ReloadCounter {
 public:
  void count(bool ok);
  void register_metrics(metrics::Registry& registry);

 private:
  std::atomic<std::uint64_t> succeeded_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<bool> last_ok_{true};
  std::atomic<double> last_success_{0};  // Unix time; 0 = never reloaded
};

// SHA-256 over the files a TLS configuration names (certificate, key, CA
// files, CRL): freeDiameter reads them once at start-up, so a file replaced
// in place is a change that needs a restart like a new path.
std::string tls_fingerprint(const std::optional<config::TlsConfig>& tls);

// The shared sections of `next` against the running ones. Diameter peers
// only added to diameter.connect go into `added_peers` (a reload dials
// them); every other change of the diameter section, and any admin change,
// goes into report.restart_needed.
struct DiameterChanges {
  std::vector<config::PeerConfig> added_peers;
};
DiameterChanges compare_diameter(const config::DiameterConfig& running, const std::string& running_tls,
                                 const config::DiameterConfig& next, ReloadReport& report);
void compare_admin(const config::AdminConfig& running, const config::AdminConfig& next, ReloadReport& report);

// Applies what both daemons reload alike, once `next` is known valid: the
// log section first, as the one step that may still fail (a log.file that
// cannot be opened: the reason goes to report.errors, nothing else is
// applied, false is returned), then the peers added to diameter.connect.
// `running_*` follow what was applied.
bool apply_shared(std::string_view program, const config::LogConfig& next_log, const DiameterChanges& changes,
                  diameter::Stack& stack, config::LogConfig& running_log, config::DiameterConfig& running_diameter,
                  ReloadReport& report);
// "added a, b; removed c" of two identity lists, or "" when equal.
std::string list_change(std::vector<std::string> before, std::vector<std::string> after);

// Until SIGTERM or SIGINT (returned): SIGHUP runs `reload` (its report is
// logged, counted, and told to the service manager), SIGUSR1 reopens the
// log file.
int serve_signals(diameter::Stack& stack, ServiceNotifier& notifier, ReloadCounter& counter,
                  const std::function<ReloadReport()>& reload);

}  // namespace roamkey::service
