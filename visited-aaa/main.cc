// visited-aaa: the visited domain's AAA server (protocol.md sec. 4 and 5).
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include <boost/asio/steady_timer.hpp>

#include <cstring>
#include <iostream>

#include "admin/admin_plane.h"
#include "apps/delegation.h"
#include "apps/diameter_eap.h"
#include "cli/command_line.h"
#include "config/check_report.h"
#include "config/config.h"
#include "config/install_paths.h"
#include "config/tls_credentials.h"
#include "crypto/random.h"
#include "der_path.h"
#include "diameter/stack.h"
#include "eap_tsk_server.h"
#include "home_path.h"
#include "home_requests_path.h"
#include "kek_ring.h"
#include "key_update_outbox.h"
#include "key_update_path.h"
#include "log/logging.h"
#include "service/reload.h"
#include "service/service_notifier.h"
#include "tsk_cache.h"
#include "visited_config.h"
#include "visited_metrics.h"

namespace roamkey::visited {
namespace {

// Frees abandoned conversations and expired vectors (sec. 4: per-conversation
// state bounded in time) on the Stack's timer thread.
class Housekeeping {
 public:
  Housekeeping(boost::asio::io_context& io, EapTskServer& server, TskCache& cache)
      : timer_(io), server_(server), cache_(cache) {
    arm();
  }

 private:
  void arm() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      server_.sweep();
      if (++ticks_ % 60 == 0) {
        const auto dropped = cache_.sweep(Clock::now());
        if (dropped > 0) spdlog::debug("dropped {} expired vector(s); {} cached", dropped, cache_.size());
        const auto s = server_.stats();
        if (s.accepted != last_.accepted || s.rejected != last_.rejected || s.abandoned != last_.abandoned)
          spdlog::info("last minute: {} accepted, {} rejected, {} abandoned; {} subscriber(s) cached, {} in progress",
                       s.accepted - last_.accepted, s.rejected - last_.rejected, s.abandoned - last_.abandoned,
                       cache_.size(), server_.conversations());
        last_ = s;
      }
      arm();
    });
  }
  boost::asio::steady_timer timer_;
  EapTskServer& server_;
  TskCache& cache_;
  unsigned ticks_ = 0;
  EapServerStats last_;
};

struct StopFirst {
  admin::AdminPlane& admin;
  diameter::Stack& stack;
  service::ServiceNotifier& notifier;
  ~StopFirst() {
    notifier.stopping("disconnecting peers");
    admin.stop();
    stack.shutdown();
    notifier.stop_watchdog();
  }
};

// The configuration the process runs with: what a reload compares against.
struct Running {
  config::LogConfig log;
  config::DiameterConfig diameter;
  std::string tls;  // service::tls_fingerprint of diameter.tls
  VisitedConfig visited;
};

std::vector<std::string> kek_names(const std::vector<HomeRealmConfig>& realms) {
  std::vector<std::string> names;
  for (const auto& r : realms)
    for (const auto& k : r.keks) names.push_back(r.realm + "/" + k.id);
  return names;
}

// SIGHUP (docs/operations.md, "Reload"): log settings, AAA clients, the
// cache's bound, the home realms' KEKs and new home peers are applied; the
// rest is named as waiting for a restart. Nothing is applied unless the
// whole file is valid.
service::ReloadReport reload(const std::string& config_path, Running& running, diameter::Stack& stack, TskCache& cache,
                             KekRing& keks) {
  service::ReloadReport report;
  config::CheckReport check;
  std::optional<config::Document> doc;
  std::optional<VisitedConfig> next;
  if (check.check([&] { doc = config::load(config_path); })) {
    config::check_common(check, *doc, kVisitedSections);
    check.check([&] { next = parse_visited_config(*doc); });
  }
  if (!check.problems().empty()) {
    report.errors = check.problems();
    return report;
  }
  const auto log = config::parse_log(*doc);
  const auto diameter = config::parse_diameter(*doc, config::default_dictionary());

  service::compare_admin(running.visited.admin, next->admin, report);
  if (next->state.path != running.visited.state.path)
    report.restart_needed.push_back("state.path changed: takes effect at the next start");
  if (next->eap.max_conversations != running.visited.eap.max_conversations ||
      next->eap.conversation_timeout != running.visited.eap.conversation_timeout ||
      next->eap.home_timeout != running.visited.eap.home_timeout)
    report.restart_needed.push_back("eap changed: takes effect at the next start");
  const auto changes = service::compare_diameter(running.diameter, running.tls, diameter, report);

  // Applied from here on.
  if (!service::apply_shared("visited-aaa", log, changes, stack, running.log, running.diameter, report)) return report;
  if (const auto change = service::list_change(running.visited.aaa_clients, next->aaa_clients); !change.empty()) {
    stack.set_accepted_peers(next->aaa_clients);
    report.applied.push_back("aaa_clients: " + change +
                             " (a removed client that is connected stays so until it disconnects)");
  }
  if (next->cache.max_entries != running.visited.cache.max_entries) {
    cache.set_max_entries(next->cache.max_entries);
    report.applied.push_back("cache.max_entries: " + std::to_string(next->cache.max_entries));
  }
  // Read again whatever their names: a key file may have new contents.
  keks.replace(next->home_realms);
  if (const auto change = service::list_change(kek_names(running.visited.home_realms), kek_names(next->home_realms));
      !change.empty())
    report.applied.push_back("home_realms: KEKs " + change);
  // What stays as it runs keeps its running value, so that the next reload
  // names it again.
  const auto admin = running.visited.admin;
  const auto state = running.visited.state;
  const auto eap = running.visited.eap;
  running.visited = std::move(*next);
  running.visited.admin = admin;
  running.visited.state = state;
  running.visited.eap = eap;
  return report;
}

// /readyz (docs/operations.md): not ready only while the Diameter stack is
// not serving. A home that is down, or a full conversation table, leaves
// the daemon serving with less: "degraded", still 200, so that a load
// balancer keeps sending it the mobiles whose TSK it holds.
admin::Readiness readiness(const diameter::Stack& stack, const EapTskServer& server, const VisitedConfig& config) {
  admin::Readiness r;
  for (const auto& peer : *stack.connect_peers())
    if (!stack.peer_open(peer.identity))
      r.problems.push_back("home peer " + peer.identity +
                           " is not connected: only mobiles with a cached TSK can authenticate");
  if (server.conversations() >= config.eap.max_conversations)
    r.problems.push_back("every conversation slot is taken (eap.max_conversations): new ones get 3004");
  return r;
}

int run(const std::string& config_path) {
  log::configure_early("visited-aaa");
  try {
    const auto doc = config::load(config_path);
    const auto log_config = config::parse_log(doc);
    auto diameter_config = config::parse_diameter(doc, config::default_dictionary());
    const auto visited_config = parse_visited_config(doc);
    config::require_usable_tls(diameter_config);
    log::configure(log_config, "visited-aaa");
    Running running{log_config, diameter_config, service::tls_fingerprint(diameter_config.tls), visited_config};
    service::ServiceNotifier notifier;
    service::ReloadCounter reloads;
    // Binds admin.listen before Diameter starts: a port in use stops us here.
    admin::AdminPlane admin("visited-aaa", visited_config.admin);

    diameter::StackOptions options;
    options.program = "visited-aaa";
    options.diameter = std::move(diameter_config);
    options.diameter_log_level = log_config.diameter_level;
    options.accepted_peers = visited_config.aaa_clients;
    diameter::Stack stack(std::move(options));
    // The AAA clients speak Diameter EAP to us; we speak Delegation to homes.
    stack.advertise(apps::DiameterEapApp::kApplicationName);
    stack.advertise(apps::DelegationApp::kApplicationName, apps::DelegationApp::kVendorName);

    TskCache::Options cache_options;
    cache_options.max_entries = visited_config.cache.max_entries;
    TskCache cache(cache_options);
    crypto::SystemRandom random;
    KekRing keks(visited_config.home_realms);
    if (visited_config.state.path.empty())
      spdlog::warn("no state.path: key update reports not yet acknowledged are lost on restart");
    KeyUpdateOutbox outbox(visited_config.state.path);
    KeyUpdateReporter reporter(stack, outbox, visited_config.eap.home_timeout);
    DiameterHomeLink home(stack, keks, visited_config.eap.home_timeout);
    EapServerOptions server_options{stack.options().diameter.realm, visited_config.eap.max_conversations,
                                    visited_config.eap.conversation_timeout};
    EapTskServer server(server_options, cache, home, random);
    server.set_update_sink(&reporter);
    DerPath der(stack, server);
    HomeRequestPath home_requests(stack, cache, keks, server);
    Housekeeping housekeeping(stack.timers(), server, cache);
    if (auto* m = admin.metrics()) {
      register_visited_metrics(*m, server, visited_config.eap.max_conversations, cache, outbox, reporter);
      reloads.register_metrics(*m);
    }
    admin.attach(stack, [&stack, &server, &visited_config] { return readiness(stack, server, visited_config); });
    // Whatever ends this scope: no admin request and no Diameter callback
    // may reach the components above once they start to go.
    const StopFirst stop_first{admin, stack, notifier};
    // The admin listener first: /readyz says "starting" until the stack serves.
    admin.start();
    if (!admin.bound().empty()) spdlog::info("admin listener on http://{}", admin.bound());
    stack.start();
    if (const auto waiting = outbox.size(); waiting > 0)
      spdlog::info("{} key update report(s) from before the restart will be sent again", waiting);
    notifier.start_watchdog(stack.timers());
    notifier.ready("serving");

    const int sig = service::serve_signals(stack, notifier, reloads,
                                           [&] { return reload(config_path, running, stack, cache, keks); });
    spdlog::info("{} received, disconnecting peers", strsignal(sig));
    notifier.stopping("disconnecting peers");
    admin.stop();
    stack.shutdown();
    notifier.stop_watchdog();
    const auto s = server.stats();
    spdlog::info("served {} accepted, {} rejected, {} abandoned", s.accepted, s.rejected, s.abandoned);
    return 0;
  } catch (const config::ConfigError& e) {
    spdlog::error("configuration error: {}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}

// `visited-aaa check-config`: every problem of the configuration and the
// TLS credentials, and whether the state database can be opened; 0 or 1.
int check_config(const std::string& config_path) {
  config::CheckReport report;
  std::optional<config::Document> doc;
  if (!report.check([&] { doc = config::load(config_path); })) return report.finish(config_path, std::cout, std::cerr);
  config::check_common(report, *doc, kVisitedSections);
  std::optional<VisitedConfig> visited;
  if (report.check([&] { visited = parse_visited_config(*doc); }) && !visited->state.path.empty()) {
    for (const auto& p : KeyUpdateOutbox::check_read_only(visited->state.path)) report.add(p);
  }
  return report.finish(config_path, std::cout, std::cerr);
}

}  // namespace
}  // namespace roamkey::visited

int main(int argc, char** argv) {
  // The state database and the log hold NAIs: never world-readable.
  ::umask(027);
  CLI::App app{"visited-aaa: the visited domain's RoamKey AAA server (EAP-TSK over Diameter EAP)", "visited-aaa"};
  roamkey::cli::add_version_flag(app, "visited-aaa");
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (YAML)");
  auto* run = app.add_subcommand(
      "run",
      "run the daemon in the foreground until SIGTERM/SIGINT; SIGHUP reloads the configuration, SIGUSR1 "
      "reopens the log file");
  run->add_option("-c,--config", config_path, "configuration file (YAML)");
  auto* check =
      app.add_subcommand("check-config",
                         "check the configuration: every key, the TLS credentials and the state database, read-only; "
                         "print every problem; exit 0 if usable, 1 if not");
  check->add_option("-c,--config", config_path, "configuration file (YAML)");
  if (const auto code = roamkey::cli::parse(app, argc, argv, "visited-aaa")) return *code;
  if (config_path.empty()) {
    std::cerr << "visited-aaa: --config FILE is required (see --help)\n";
    return roamkey::cli::kExitUsage;
  }
  if (check->parsed()) return roamkey::visited::check_config(config_path);
  return roamkey::visited::run(config_path);
}
