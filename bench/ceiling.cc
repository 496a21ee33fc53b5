// bench/ceiling: the best one Diameter request/answer exchange does on this
// embedded stack (issue 4), so that every aaa-client bench figure can be
// quoted as a ratio measured on the same machine, in the same run.
//
// serve: answers every DER at once with DEA 1001 and a fixed EAP-Payload,
//        the size of an EAP-TSK Challenge (same message sizes as a real round);
// run:   keeps C DERs in flight for S seconds, each on a new Session-Id.
// Same Stack, same TLS settings, same YAML as the daemons.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/command_line.h"

#include <chrono>
#include <iostream>

#include "apps/diameter_eap.h"
#include "closed_loop.h"
#include "config/config.h"
#include "config/install_paths.h"
#include "diameter/stack.h"
#include "load_node.h"
#include "log/logging.h"

namespace {

using namespace roamkey;

// Sizes of an EAP-TSK Response/Identity and of a Challenge (protocol.md sec. 4).
constexpr std::size_t kRequestPayload = 28;
constexpr std::size_t kAnswerPayload = 96;

int serve(const std::string& config_path, const std::vector<std::string>& accepted) {
  log::configure_early("ceiling");
  const auto doc = config::load(config_path);
  const auto log_config = config::parse_log(doc);
  log::configure(log_config, "ceiling");
  diameter::StackOptions options;
  options.program = "ceiling";
  options.diameter = config::parse_diameter(doc, config::default_dictionary());
  options.diameter_log_level = log_config.diameter_level;
  options.accepted_peers = accepted;
  const auto identity = options.diameter.identity;
  diameter::Stack stack(std::move(options));
  stack.advertise(apps::DiameterEapApp::kApplicationName);
  const crypto::Bytes payload(kAnswerPayload, 0x5a);
  stack.on_request(apps::DiameterEapApp::get().der, [&payload](diameter::PendingRequest r) {
    const auto& app = apps::DiameterEapApp::get();
    r.answer(diameter::Outcome::base(diameter::ResultCode::MultiRoundAuth, {}), [&](diameter::AvpSink& a) {
      app.answer_header(a);
      a.add(app.eap_payload, crypto::ByteView(payload));
    });
  });
  stack.start();
  // On stderr whatever the log level: bench/run waits for it.
  std::cerr << "ceiling: serving DER on " << identity << ", ready" << std::endl;
  // SIGHUP and SIGUSR1 mean nothing to this tool.
  for (int sig = 0; sig != SIGTERM && sig != SIGINT;) sig = stack.wait_for_signal();
  stack.shutdown();
  return 0;
}

// One DER on a new Session-Id; a DEA 1001 is a success.
void exchange(diameter::Stack& stack, const std::string& realm, bench::ClosedLoop::Done done) {
  const auto& app = apps::DiameterEapApp::get();
  const crypto::Bytes payload(kRequestPayload, 0x02);
  auto der = app.request({}, realm, "ceiling@home.example", payload);
  stack.send(std::move(der), std::chrono::seconds(10), [done = std::move(done)](diameter::Answer a) {
    if (a.status == diameter::AnswerStatus::Answered && a.result.code == 1001) {
      done(true, {});
    } else {
      done(false, a.describe());
    }
  });
}

int run(const std::string& config_path, const std::string& realm, const bench::LoopSettings& settings, bool json) {
  auto node = bench::open_load_node("ceiling", config_path, apps::DiameterEapApp::kApplicationName);
  auto& stack = *node.stack;
  const auto destination = realm.empty() ? node.diameter.realm : realm;
  bench::ClosedLoop loop(settings,
                         [&](bench::ClosedLoop::Done done) { exchange(stack, destination, std::move(done)); });
  const auto report = loop.run();
  stack.shutdown();
  // bench/run reads these keys.
  const bench::ReportNames names{"exchanges", "exchanges_per_s", "exchanges/s"};
  if (json) {
    std::cout << bench::to_json(report, names).dump() << std::endl;
  } else {
    bench::print_text(std::cout, "ceiling: DER/DEA", report, names);
  }
  return report.succeeded > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ceiling: minimal DER/DEA exchange on the embedded stack, for benchmark ratios", "ceiling"};
  roamkey::cli::add_version_flag(app, "ceiling");
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (YAML, the daemons' format)")->required();
  std::vector<std::string> accepted;
  auto* serve_cmd = app.add_subcommand("serve", "answer every DER with DEA 1001 at once");
  serve_cmd->add_option("--accept", accepted, "Diameter identity allowed to connect (repeat)")->required();
  bench::LoopSettings settings{.concurrency = 128, .duration_s = 10, .warmup_s = 2};
  std::string realm;
  bool json = false;
  auto* run_cmd = app.add_subcommand("run", "keep C requests in flight for S seconds");
  run_cmd->add_option("--concurrency", settings.concurrency, "requests in flight (default 128)")
      ->check(CLI::Range(1u, 100000u));
  run_cmd->add_option("--duration", settings.duration_s, "seconds measured (default 10)")->check(CLI::PositiveNumber);
  run_cmd->add_option("--warmup", settings.warmup_s, "seconds before measuring (default 2)")
      ->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--realm", realm, "Destination-Realm (default: the configuration's realm)");
  run_cmd->add_flag("--json", json, "one JSON object");
  if (const auto code = roamkey::cli::parse(app, argc, argv, "ceiling")) return *code;
  try {
    if (serve_cmd->parsed()) return serve(config_path, accepted);
    return run(config_path, realm, settings, json);
  } catch (const bench::LinkError& e) {
    std::cerr << e.what() << "\n";
    return e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "ceiling: " << e.what() << "\n";
    return 3;
  }
}
