#include "service/reload.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "log/logging.h"

namespace roamkey::service {

void ReloadCounter::count(bool ok) {
  (ok ? succeeded_ : failed_).fetch_add(1, std::memory_order_relaxed);
  last_ok_.store(ok, std::memory_order_relaxed);
  if (ok) {
    const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    last_success_.store(now, std::memory_order_relaxed);
  }
}

void ReloadCounter::register_metrics(metrics::Registry& registry) {
  registry.pull("roamkey_config_reloads_total", "Configuration reloads (SIGHUP), by result.", metrics::Kind::Counter,
                [this] {
                  return std::vector<metrics::Sample>{
                      {{{"result", "success"}}, static_cast<double>(succeeded_.load(std::memory_order_relaxed))},
                      {{{"result", "failure"}}, static_cast<double>(failed_.load(std::memory_order_relaxed))}};
                });
  registry.pull("roamkey_config_last_reload_successful",
                "1 if the last configuration reload succeeded (or none was tried), 0 if it failed.",
                metrics::Kind::Gauge, std::function<double()>([this] { return last_ok_.load() ? 1.0 : 0.0; }));
  registry.pull("roamkey_config_last_reload_success_timestamp_seconds",
                "Unix time of the last successful configuration reload, 0 if none.", metrics::Kind::Gauge,
                std::function<double()>([this] { return last_success_.load(); }));
}

namespace {

// SHA-256 of a file's bytes; the buffer that held them (a private key) is
// wiped. An unreadable file digests as its name, so that it differs.
void digest_file(EVP_MD_CTX* ctx, const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string bytes = in ? std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())
                         : "unreadable:" + p.string();
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
  EVP_DigestUpdate(ctx, "", 1);
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

std::string describe(const config::PeerConfig& p) {
  return p.identity + " (" + p.address + ":" + std::to_string(p.port) + (p.tls ? ", TLS" : ", clear TCP") + ")";
}

void restart(ReloadReport& report, const std::string& key) {
  report.restart_needed.push_back(key + " changed: takes effect at the next start");
}

}  // namespace

std::string tls_fingerprint(const std::optional<config::TlsConfig>& tls) {
  if (!tls) return {};
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return "no digest";
  digest_file(ctx.get(), tls->certificate);
  digest_file(ctx.get(), tls->private_key);
  for (const auto& ca : tls->ca) digest_file(ctx.get(), ca);
  if (!tls->crl.empty()) digest_file(ctx.get(), tls->crl);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string list_change(std::vector<std::string> before, std::vector<std::string> after) {
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(removed));
  const auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  std::string out;
  if (!added.empty()) out = "added " + join(added);
  if (!removed.empty()) out += (out.empty() ? "removed " : "; removed ") + join(removed);
  return out;
}

DiameterChanges compare_diameter(const config::DiameterConfig& running, const std::string& running_tls,
                                 const config::DiameterConfig& next, ReloadReport& report) {
  DiameterChanges changes;
  if (running.identity != next.identity) restart(report, "diameter.identity");
  if (running.realm != next.realm) restart(report, "diameter.realm");
  if (running.listen != next.listen) restart(report, "diameter.listen");
  if (running.tls != next.tls)
    restart(report, "diameter.tls");
  else if (tls_fingerprint(next.tls) != running_tls)
    report.restart_needed.push_back(
        "diameter.tls: a certificate, key, CA or CRL file was replaced: freeDiameter reads them at the next start");
  if (running.dictionary != next.dictionary) restart(report, "diameter.dictionary");
  if (running.app_threads != next.app_threads) restart(report, "diameter.app_threads");
  if (running.tc_timer != next.tc_timer) restart(report, "diameter.tc_timer");
  if (running.tw_timer != next.tw_timer) restart(report, "diameter.tw_timer");
  for (const auto& p : next.connect) {
    const auto same = std::find_if(running.connect.begin(), running.connect.end(),
                                   [&](const config::PeerConfig& r) { return r.identity == p.identity; });
    if (same == running.connect.end())
      changes.added_peers.push_back(p);
    else if (!(*same == p))
      report.restart_needed.push_back("diameter.connect: " + p.identity +
                                      " changed: takes effect at the next start (a running peer is not redialled)");
  }
  for (const auto& r : running.connect) {
    const bool kept = std::any_of(next.connect.begin(), next.connect.end(),
                                  [&](const config::PeerConfig& p) { return p.identity == r.identity; });
    if (!kept)
      report.restart_needed.push_back("diameter.connect: " + describe(r) +
                                      " removed: still dialled until the next start");
  }
  return changes;
}

void compare_admin(const config::AdminConfig& running, const config::AdminConfig& next, ReloadReport& report) {
  if (running.address != next.address || running.port != next.port) restart(report, "admin.listen");
  if (running.metrics != next.metrics) restart(report, "admin.metrics");
}

bool apply_shared(std::string_view program, const config::LogConfig& next_log, const DiameterChanges& changes,
                  diameter::Stack& stack, config::LogConfig& running_log, config::DiameterConfig& running_diameter,
                  ReloadReport& report) {
  if (!(next_log == running_log)) {
    try {
      log::configure(next_log, program);
    } catch (const std::exception& e) {
      report.errors.push_back(e.what());
      report.restart_needed.clear();
      return false;
    }
    stack.set_diameter_log_level(next_log.diameter_level);
    report.applied.push_back("log: level " + next_log.level + ", diameter_level " + next_log.diameter_level +
                             ", format " + (next_log.format == config::LogFormat::Json ? "json" : "text") + ", file " +
                             (next_log.file.empty() ? std::string("stderr") : next_log.file.string()));
    running_log = next_log;
  }
  for (const auto& p : changes.added_peers) {
    try {
      stack.add_connect_peer(p);
      report.applied.push_back("diameter.connect: dialling " + p.identity + " at " + p.address + ":" +
                               std::to_string(p.port));
      running_diameter.connect.push_back(p);
    } catch (const std::exception& e) {
      report.restart_needed.push_back(std::string(e.what()) + ": not dialled; takes effect at the next start");
    }
  }
  return true;
}

int serve_signals(diameter::Stack& stack, ServiceNotifier& notifier, ReloadCounter& counter,
                  const std::function<ReloadReport()>& reload) {
  for (;;) {
    const int sig = stack.wait_for_signal();
    if (sig == SIGTERM || sig == SIGINT) return sig;
    if (sig == SIGUSR1) {
      if (log::reopen()) spdlog::info("SIGUSR1: log file reopened");
      continue;
    }
    spdlog::info("SIGHUP: reloading the configuration");
    notifier.reloading("reloading the configuration");
    ReloadReport report;
    try {
      report = reload();
    } catch (const std::exception& e) {
      report.errors.push_back(e.what());
    }
    counter.count(report.ok());
    if (!report.ok()) {
      for (const auto& e : report.errors) spdlog::error("reload refused: {}", e);
      spdlog::error("reload failed: the running configuration is unchanged");
      notifier.ready("serving; the last reload failed (see the log)");
      continue;
    }
    for (const auto& a : report.applied) spdlog::info("reload: {}", a);
    for (const auto& r : report.restart_needed) spdlog::warn("reload: {}", r);
    spdlog::info("reload done: {} change(s) applied, {} waiting for a restart", report.applied.size(),
                 report.restart_needed.size());
    notifier.ready("serving; configuration reloaded");
  }
}

}  // namespace roamkey::service
