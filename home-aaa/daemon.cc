#include "daemon.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstring>

#include "admin/admin_plane.h"
#include "apps/delegation.h"
#include "config/check_report.h"
#include "config/config.h"
#include "config/install_paths.h"
#include "config/tls_credentials.h"
#include "crypto/random.h"
#include "delegation_path.h"
#include "delegation_queue.h"
#include "delegation_service.h"
#include "diameter/stack.h"
#include "home_config.h"
#include "home_metrics.h"
#include "log/log_event.h"
#include "log/logged_nai.h"
#include "log/logging.h"
#include "master_key.h"
#include "service/reload.h"
#include "service/service_notifier.h"
#include "sqlite_subscriber_store.h"
#include "visited_outbox.h"
#include "visited_path.h"
#include "wrap_keys.h"

namespace roamkey::home {

namespace {

// KPR/DRR answer timeout. A visited host that is connected answers within
// milliseconds; one that is not gets fD's immediate 3002.
constexpr std::chrono::seconds kVisitedAnswerTimeout{10};
constexpr std::chrono::seconds kPollInterval{1};
constexpr std::size_t kPollBatch = 100;
// DLRs are summarised at info once a minute (each one is at debug).
constexpr int kSummaryTicks = 60;

void log_outbox_event(const OutboxEvent& e) {
  using Kind = OutboxEvent::Kind;
  const auto next = [&] {
    return e.next_attempt ? std::to_string((*e.next_attempt - system_now()).count()) + " s" : std::string("-");
  };
  const bool push = e.kind == Kind::PushSent || e.kind == Kind::PushAcknowledged || e.kind == Kind::PushGone ||
                    e.kind == Kind::PushRetry || e.kind == Kind::PushFailed || e.kind == Kind::PushDropped;
  const bool delivered = e.kind == Kind::RevocationDelivered || e.kind == Kind::PushAcknowledged;
  const log::EventScope event{{e.kind == Kind::StoreFailure ? "outbox"
                               : push                       ? "KPR"
                                                            : "DRR",
                               e.visited_host, delivered ? 2001u : 0u, e.nai}};
  switch (e.kind) {
    case Kind::RevocationSent:
      spdlog::info("DRR #{} nai={} to {} cause={} generation<={}: sending (attempt {})", e.id, log::nai(e.nai),
                   e.visited_host, to_string(e.cause), e.generation, e.attempts + 1);
      break;
    case Kind::RevocationDelivered:
      spdlog::info("DRR #{} nai={} to {}: delivered (2001)", e.id, log::nai(e.nai), e.visited_host);
      break;
    case Kind::RevocationRetry:
      spdlog::warn("DRR #{} nai={} to {}: {}; attempt {} failed, next in {}", e.id, log::nai(e.nai), e.visited_host,
                   e.detail, e.attempts, next());
      break;
    case Kind::RevocationAbandoned:
      spdlog::error("DRR #{} nai={} to {}: abandoned after {} attempt(s): {}", e.id, log::nai(e.nai), e.visited_host,
                    e.attempts, e.detail);
      break;
    case Kind::PushSent:
      spdlog::info("KPR #{} nai={} to {} generation={}: sending (attempt {})", e.id, log::nai(e.nai), e.visited_host,
                   e.generation, e.attempts + 1);
      break;
    case Kind::PushAcknowledged:
      spdlog::info("KPR #{} nai={} to {} generation={}: pending at the visited host (2001)", e.id, log::nai(e.nai),
                   e.visited_host, e.generation);
      break;
    case Kind::PushGone:
      spdlog::warn("KPR #{} nai={} to {} generation={}: {}; {}", e.id, log::nai(e.nai), e.visited_host, e.generation,
                   e.detail, e.delegation_ended ? "delegation ended" : "delegation changed since, kept");
      break;
    case Kind::PushRetry:
      spdlog::warn("KPR #{} nai={} to {} generation={}: {}; attempt {} failed, next in {}", e.id, log::nai(e.nai),
                   e.visited_host, e.generation, e.detail, e.attempts, next());
      break;
    case Kind::PushFailed:
      spdlog::error("KPR #{} nai={} to {} generation={}: refused: {}", e.id, log::nai(e.nai), e.visited_host,
                    e.generation, e.detail);
      break;
    case Kind::PushDropped:
      spdlog::warn("KPR #{} nai={} to {} generation={}: dropped: {}", e.id, log::nai(e.nai), e.visited_host,
                   e.generation, e.detail);
      break;
    case Kind::StoreFailure:
      spdlog::error("#{} nai={} to {}: {}", e.id, log::nai(e.nai), e.visited_host, e.detail);
      break;
  }
}

void log_rotation(const RotationResult& r, const char* why) {
  if (r.status == RotationStatus::Rotated)
    spdlog::info("rotation nai={} ({}): {}", log::nai(r.nai), why, r.detail);
  else if (r.status == RotationStatus::Failed)
    spdlog::error("rotation nai={} ({}): {}", log::nai(r.nai), why, r.detail);
  else
    spdlog::warn("rotation nai={} ({}): {}: {}", log::nai(r.nai), why, to_string(r.status), r.detail);
}

// Every second on the Stack's timer thread: the operator's queued requests,
// the rotations due, then whatever the outbox must send. The CLI and the
// DLR handler write to the store; this loop is what turns those rows into
// Diameter requests.
class ControlLoop {
 public:
  ControlLoop(boost::asio::io_context& io, const DelegationService& service, VisitedOutbox& outbox,
              const DelegationQueue& queue)
      : io_(io), timer_(io), service_(service), outbox_(outbox), queue_(queue) {
    arm();
  }

  // From any thread: send what was just queued without waiting for the tick.
  void wake() {
    boost::asio::post(io_, [this] { send(); });
  }

 private:
  void arm() {
    timer_.expires_after(kPollInterval);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      tick();
      arm();
    });
  }

  void tick() {
    try {
      for (const auto& h : service_.handle_operator_requests(kPollBatch)) log_rotation(h.result, "operator request");
      for (const auto& r : service_.rotate_due(kPollBatch)) log_rotation(r, "rotation interval");
    } catch (const std::exception& e) {
      spdlog::error("rotation: {}", e.what());
    }
    send();
    if (++ticks_ % kSummaryTicks == 0) summarize();
  }

  void summarize() {
    const auto now = queue_.stats();
    const auto dlrs = now.requests - last_.requests;
    if (dlrs > 0 || now.refused_busy != last_.refused_busy) {
      spdlog::info("last minute: {} DLR(s) in {} commit(s), {} commit failure(s), {} refused as too busy", dlrs,
                   now.batches - last_.batches, now.commit_failures - last_.commit_failures,
                   now.refused_busy - last_.refused_busy);
    }
    last_ = now;
  }

  void send() {
    try {
      outbox_.send_due();
    } catch (const std::exception& e) {
      spdlog::error("outbox: {}", e.what());
    }
  }

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  const DelegationService& service_;
  VisitedOutbox& outbox_;
  const DelegationQueue& queue_;
  DelegationQueue::Stats last_;
  int ticks_ = 0;
};

// On every way out of run_daemon: stops the admin listener, answers the
// DLRs still queued while the peers are connected, then shuts the stack
// down before anything its callbacks use is destroyed.
struct ShutdownFirst {
  admin::AdminPlane& admin;
  DelegationQueue& queue;
  diameter::Stack& stack;
  service::ServiceNotifier& notifier;
  ~ShutdownFirst() {
    notifier.stopping("answering queued DLRs, disconnecting peers");
    admin.stop();
    queue.stop();
    stack.shutdown();
    notifier.stop_watchdog();
  }
};

// The configuration the process runs with: what a reload compares against.
struct Running {
  config::LogConfig log;
  config::DiameterConfig diameter;
  std::string tls;  // service::tls_fingerprint of diameter.tls
  HomeConfig home;
};

std::vector<std::string> partner_peers(const RoamingPartners& partners) {
  std::vector<std::string> peers;
  for (const auto& partner : partners.all()) peers.insert(peers.end(), partner.peers.begin(), partner.peers.end());
  return peers;
}

std::vector<std::string> partner_realms(const RoamingPartners& partners) {
  std::vector<std::string> realms;
  for (const auto& partner : partners.all()) realms.push_back(partner.realm);
  return realms;
}

// SIGHUP (docs/operations.md, "Reload"): log settings, the roaming partners
// (their peers, policies and KEKs), the top-level delegation policy and new
// peers to dial are applied; the rest is named as waiting for a restart.
// Nothing is applied unless the whole file, and every KEK file, is valid.
service::ReloadReport reload(const std::string& config_path, Running& running, diameter::Stack& stack,
                             DelegationService& delegations) {
  service::ReloadReport report;
  config::CheckReport check;
  std::optional<config::Document> doc;
  std::optional<HomeConfig> next;
  std::optional<WrapKeys> wrap_keys;
  std::vector<std::string> warnings;
  if (check.check([&] { doc = config::load(config_path); })) {
    config::check_common(check, *doc, kHomeSections);
    if (check.check([&] { next = parse_home_config(*doc); }))
      check.check([&] { wrap_keys = load_wrap_keys(next->roaming_partners, warnings); });
  }
  if (!check.problems().empty()) {
    report.errors = check.problems();
    return report;
  }
  for (const auto& w : warnings) spdlog::warn("{}", w);
  const auto log = config::parse_log(*doc);
  const auto diameter = config::parse_diameter(*doc, config::default_dictionary());

  service::compare_admin(running.home.admin, next->admin, report);
  if (next->store.path != running.home.store.path)
    report.restart_needed.push_back("store.path changed: takes effect at the next start");
  if (next->store.master_key_file != running.home.store.master_key_file)
    report.restart_needed.push_back("store.master_key_file changed: takes effect at the next start");
  const auto changes = service::compare_diameter(running.diameter, running.tls, diameter, report);

  // Applied from here on.
  if (!service::apply_shared("home-aaa", log, changes, stack, running.log, running.diameter, report)) return report;
  const auto& before = running.home.roaming_partners;
  const auto& after = next->roaming_partners;
  auto peers_after = partner_peers(after);
  if (const auto change = service::list_change(partner_peers(before), peers_after); !change.empty()) {
    stack.set_accepted_peers(std::move(peers_after));
    report.applied.push_back("roaming_partners peers: " + change +
                             " (a removed peer that is connected stays so, but its requests are refused 5402)");
  }
  if (const auto change = service::list_change(partner_realms(before), partner_realms(after)); !change.empty())
    report.applied.push_back("roaming_partners: " + change);
  if (!(before.all() == after.all()) || !(next->delegation == running.home.delegation))
    report.applied.push_back("delegation policies and KEKs: reloaded");
  // KEK files are read again whatever changed: a file may have new contents.
  delegations.reconfigure(next->delegation, after, std::move(*wrap_keys));
  running.home.delegation = next->delegation;
  running.home.roaming_partners = next->roaming_partners;
  return report;
}

// /readyz (docs/operations.md): ready while the Diameter stack serves and
// the store answers; a store that fails makes every DLR fail, so the
// daemon is taken out.
admin::Readiness readiness(SqliteSubscriberStore& store) {
  admin::Readiness r;
  try {
    store.schema_version();
  } catch (const std::exception& e) {
    r.ready = false;
    r.problems.push_back(std::string("store: ") + e.what());
  }
  return r;
}

void log_key_protection(const HomeConfig& c, SqliteSubscriberStore& store) {
  const auto stats = store.key_stats();
  if (c.store.master_key_file.empty()) {
    spdlog::warn("store.master_key_file is not set: K of {} subscriber(s) stored in clear in {}", stats.plain,
                 c.store.path.string());
    return;
  }
  spdlog::info("K sealed under the master key {}: {} sealed, {} plain", c.store.master_key_file.string(), stats.sealed,
               stats.plain);
  if (stats.plain > 0)
    spdlog::warn("{} subscriber K still stored in clear: seal them with `home-aaa --config FILE store rekey`",
                 stats.plain);
}

}  // namespace

int run_daemon(const std::string& config_path) {
  log::configure_early("home-aaa");
  try {
    const auto doc = config::load(config_path);
    const auto log_config = config::parse_log(doc);
    auto diameter_config = config::parse_diameter(doc, config::default_dictionary());
    auto home_config = parse_home_config(doc);
    config::require_usable_tls(diameter_config);
    log::configure(log_config, "home-aaa");
    Running running{log_config, diameter_config, service::tls_fingerprint(diameter_config.tls), home_config};
    service::ServiceNotifier notifier;
    service::ReloadCounter reloads;
    // Binds admin.listen before Diameter starts: a port in use stops us here.
    admin::AdminPlane admin("home-aaa", home_config.admin);

    SqliteSubscriberStore::Options store_options;
    store_options.key_protector = key_protector_for(home_config.store.master_key_file);
    SqliteSubscriberStore store(home_config.store.path, store_options);
    log_key_protection(home_config, store);
    std::vector<std::string> warnings;
    auto wrap_keys = load_wrap_keys(home_config.roaming_partners, warnings);
    for (const auto& w : warnings) spdlog::warn("{}", w);
    crypto::SystemRandom random;
    DelegationService service(store, store, home_config.delegation, home_config.roaming_partners, random, system_now,
                              std::move(wrap_keys));

    diameter::StackOptions options;
    options.program = "home-aaa";
    options.diameter = std::move(diameter_config);
    options.diameter_log_level = log_config.diameter_level;
    for (const auto& partner : home_config.roaming_partners.all())
      options.accepted_peers.insert(options.accepted_peers.end(), partner.peers.begin(), partner.peers.end());

    diameter::Stack stack(std::move(options));
    stack.advertise(apps::DelegationApp::kApplicationName, apps::DelegationApp::kVendorName);
    DiameterVisitedLink link(stack, kVisitedAnswerTimeout);
    VisitedOutbox::Options outbox_options;
    outbox_options.answer_timeout = kVisitedAnswerTimeout;
    outbox_options.batch = kPollBatch;
    OutboxRetries retries;
    VisitedOutbox outbox(store, service, link, outbox_options, system_now, [&retries](const OutboxEvent& e) {
      if (e.kind == OutboxEvent::Kind::RevocationRetry) ++retries.revocations;
      if (e.kind == OutboxEvent::Kind::PushRetry) ++retries.key_pushes;
      log_outbox_event(e);
    });
    DelegationQueue::Options queue_options;
    if (auto* m = admin.metrics()) queue_options.sinks = dlr_sinks(*m);
    DelegationQueue queue(
        service, [&store](const std::function<void()>& body) { store.in_one_transaction(body); }, queue_options);
    ControlLoop loop(stack.timers(), service, outbox, queue);
    const DelegationPath path(stack, service, queue, [&loop] { loop.wake(); });
    if (auto* m = admin.metrics()) {
      register_home_metrics(*m, queue, store, retries);
      reloads.register_metrics(*m);
    }
    admin.attach(stack, [&store] { return readiness(store); });
    const ShutdownFirst shutdown_first{admin, queue, stack, notifier};
    // The admin listener first: /readyz says "starting" until the stack serves.
    admin.start();
    if (!admin.bound().empty()) spdlog::info("admin listener on http://{}", admin.bound());
    stack.start();
    spdlog::info("store {}; {} roaming partner(s)", home_config.store.path.string(),
                 home_config.roaming_partners.all().size());

    notifier.start_watchdog(stack.timers());
    notifier.ready("serving");

    // (`service` here is the DelegationService.)
    const int sig = roamkey::service::serve_signals(stack, notifier, reloads,
                                                    [&] { return reload(config_path, running, stack, service); });
    spdlog::info("{} received, disconnecting peers", strsignal(sig));
    notifier.stopping("answering queued DLRs, disconnecting peers");
    admin.stop();
    queue.stop();
    stack.shutdown();
    notifier.stop_watchdog();
    return 0;
  } catch (const config::ConfigError& e) {
    spdlog::error("configuration error: {}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}

int check_config(const std::string& config_path, std::ostream& out, std::ostream& err) {
  config::CheckReport report;
  std::optional<config::Document> doc;
  if (!report.check([&] { doc = config::load(config_path); })) return report.finish(config_path, out, err);
  config::check_common(report, *doc, kHomeSections);
  std::optional<HomeConfig> home;
  if (report.check([&] { home = parse_home_config(*doc); })) {
    std::shared_ptr<const KeyProtector> protector;
    if (report.check([&] { protector = key_protector_for(home->store.master_key_file); })) {
      for (const auto& p : SqliteSubscriberStore::check_read_only(home->store.path, protector)) report.add(p);
    }
    report.check([&] {
      std::vector<std::string> warnings;
      load_wrap_keys(home->roaming_partners, warnings);
      for (const auto& w : warnings) out << config_path << ": warning: " << w << "\n";
    });
  }
  return report.finish(config_path, out, err);
}

}  // namespace roamkey::home
