// bench/home-load: the DLRs per second a home-aaa sustains with its durable
// store and a large provisioned population (issue 4, "Home alone").
//
// Plays the visited-aaa side of the Delegation application (protocol.md
// sec. 3): keeps C DLRs in flight for S seconds, each for the next
// subscriber of an index range (round robin), and measures the DLA round
// trip. It dials with a visited-aaa's own configuration (identity, realm,
// TLS), so that home-aaa accepts it as that roaming partner; that
// visited-aaa must not be running meanwhile.
#include <CLI/CLI.hpp>

#include "cli/command_line.h"

#include <atomic>
#include <chrono>
#include <iostream>

#include "apps/delegation.h"
#include "closed_loop.h"
#include "diameter/stack.h"
#include "load_node.h"

namespace {

using namespace roamkey;
using apps::DelegationApp;

constexpr std::chrono::seconds kDlaTimeout{10};

struct Population {
  std::string nai_pattern;
  std::uint64_t first_index = 0;
  std::uint64_t count = 0;
};

// One DLR per call, built as visited-aaa builds it (visited-aaa/home_path.cc),
// for the subscribers of `population` in turn.
class DelegationRequests {
 public:
  DelegationRequests(diameter::Stack& stack, std::string home_realm, Population population)
      : stack_(stack), home_realm_(std::move(home_realm)), population_(std::move(population)) {}

  void send_one(bench::ClosedLoop::Done done) {
    const auto index = population_.first_index + next_.fetch_add(1, std::memory_order_relaxed) % population_.count;
    const auto& app = DelegationApp::get();
    auto dlr = app.request(app.dlr, home_realm_);
    dlr.avps().add(app.user_name, client::bench_nai(population_.nai_pattern, index));
    stack_.send(std::move(dlr), kDlaTimeout, [done = std::move(done)](diameter::Answer a) {
      if (!a.is_success()) {
        // Grouped by result code: home-aaa's Error-Message names the
        // subscriber ("no subscriber bench7@..."), one reason per NAI.
        a.result.error_message.clear();
        done(false, a.describe());
        return;
      }
      // A DLA counts only with a TSK-Vector that parses (sec. 3); the TSK
      // itself is neither unwrapped nor shown, and is wiped with the vector.
      diameter::AvpReader avps(a.message);
      if (!DelegationApp::get().read_vector(avps)) {
        done(false, "DLA unusable: " + avps.failure().reason);
        return;
      }
      done(true, {});
    });
  }

 private:
  diameter::Stack& stack_;
  std::string home_realm_;
  Population population_;
  std::atomic<std::uint64_t> next_{0};
};

int run(const std::string& config_path, std::string home_realm, const Population& population,
        const bench::LoopSettings& settings, bool json) {
  auto node =
      bench::open_load_node("home-load", config_path, DelegationApp::kApplicationName, DelegationApp::kVendorName);
  auto& stack = *node.stack;
  DelegationRequests requests(stack, std::move(home_realm), population);
  bench::ClosedLoop loop(settings, [&](bench::ClosedLoop::Done done) { requests.send_one(std::move(done)); });
  const auto report = loop.run();
  stack.shutdown();
  const bench::ReportNames names{"dlrs", "dlrs_per_s", "DLRs/s"};
  if (json) {
    auto j = bench::to_json(report, names);
    j["subscribers"] = population.count;
    std::cout << j.dump() << std::endl;
  } else {
    bench::print_text(std::cout, "home-load: DLR/DLA, " + std::to_string(population.count) + " subscribers", report,
                      names);
  }
  return report.succeeded > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"home-load: DLRs per second a home-aaa sustains, played from a visited-aaa's configuration",
               "home-load"};
  roamkey::cli::add_version_flag(app, "home-load");
  std::string config_path, realm;
  Population population;
  bench::LoopSettings settings{.concurrency = 64, .duration_s = 10, .warmup_s = 2};
  bool json = false;
  app.add_option("-c,--config", config_path, "a visited-aaa configuration (YAML): identity, TLS, home to dial")
      ->required();
  app.add_option("--realm", realm, "Destination-Realm (default: the realm of --nai-prefix)");
  app.add_option("--nai-prefix", population.nai_pattern, "NAI pattern user@realm; subscriber i is user<i>@realm")
      ->required();
  app.add_option("--first-index", population.first_index, "index of the first subscriber (default 0)");
  app.add_option("--count-mobiles", population.count, "subscribers to draw from, round robin")
      ->required()
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrency", settings.concurrency, "DLRs in flight (default 64)")->check(CLI::Range(1u, 100000u));
  app.add_option("--duration", settings.duration_s, "seconds measured (default 10)")->check(CLI::PositiveNumber);
  app.add_option("--warmup", settings.warmup_s, "seconds before measuring (default 2)")->check(CLI::NonNegativeNumber);
  app.add_flag("--json", json, "one JSON object");
  if (const auto code = roamkey::cli::parse(app, argc, argv, "home-load")) return *code;
  const auto at = population.nai_pattern.find('@');
  if (at == std::string::npos || at + 1 == population.nai_pattern.size()) {
    std::cerr << "home-load: --nai-prefix must be user@realm\n";
    return 2;
  }
  if (realm.empty()) realm = population.nai_pattern.substr(at + 1);
  try {
    return run(config_path, realm, population, settings, json);
  } catch (const bench::LinkError& e) {
    std::cerr << e.what() << "\n";
    return e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "home-load: " << e.what() << "\n";
    return 3;
  }
}
