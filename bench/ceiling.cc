// bench/ceiling: the best one Diameter request/answer exchange does on this
// embedded stack (issue 4), so that every aaa-client bench figure can be
// quoted as a ratio measured on the same machine, in the same run.
//
// serve: answers every DER at once with DEA 1001 and a fixed EAP-Payload,
//        the size of an EAP-TSK Challenge (same message sizes as a real round);
// run:   keeps C DERs in flight for S seconds, each on a new Session-Id.
// Same Stack, same TLS settings, same YAML as the daemons.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "apps/diameter_eap.h"
#include "bench.h"
#include "config/config.h"
#include "diameter/stack.h"
#include "log/logging.h"

#ifndef ROAMKEY_DEFAULT_DICTIONARY
#define ROAMKEY_DEFAULT_DICTIONARY "/usr/share/roamkey/roamkey.xml"
#endif

namespace {

using namespace roamkey;
using Clock = std::chrono::steady_clock;

// Sizes of an EAP-TSK Response/Identity and of a Challenge (protocol.md sec. 4).
constexpr std::size_t kRequestPayload = 28;
constexpr std::size_t kAnswerPayload = 96;

struct Loaded {
  config::DiameterConfig diameter;
  config::LogConfig log;
};

Loaded load(const std::string& path) {
  const auto doc = config::load(path);
  return {config::parse_diameter(doc, ROAMKEY_DEFAULT_DICTIONARY), config::parse_log(doc)};
}

diameter::StackOptions stack_options(const Loaded& c, std::vector<std::string> accepted, bool signals) {
  diameter::StackOptions so;
  so.program = "ceiling";
  so.diameter = c.diameter;
  so.diameter_log_level = c.log.diameter_level;
  so.accepted_peers = std::move(accepted);
  so.handle_signals = signals;
  return so;
}

int serve(const std::string& config_path, const std::vector<std::string>& accepted) {
  log::configure_early("ceiling");
  const auto c = load(config_path);
  log::configure(c.log, "ceiling");
  diameter::Stack stack(stack_options(c, accepted, true));
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
  std::cerr << "ceiling: serving DER on " << c.diameter.identity << ", ready" << std::endl;
  stack.wait_for_signal();
  stack.shutdown();
  return 0;
}

class Load {
 public:
  Load(diameter::Stack& stack, std::string realm, unsigned concurrency)
      : stack_(stack), realm_(std::move(realm)), concurrency_(concurrency) {}

  // Returns answered exchanges inside [start, deadline); fills the latency samples.
  void run(Clock::duration warmup, Clock::duration duration) {
    start_ = Clock::now() + warmup;
    deadline_ = start_ + duration;
    for (unsigned i = 0; i < concurrency_; ++i) {
      {
        std::lock_guard lock(mutex_);
        ++in_flight_;
      }
      send();
    }
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }

  std::vector<std::int64_t> samples;
  std::uint64_t answered = 0, in_window = 0, failed = 0;
  std::map<std::string, std::uint64_t> errors;

 private:
  void send() {
    const auto& app = apps::DiameterEapApp::get();
    const crypto::Bytes payload(kRequestPayload, 0x02);
    auto der = app.request({}, realm_, "ceiling@home.example", payload);
    const auto t0 = Clock::now();
    stack_.send(std::move(der), std::chrono::seconds(10), [this, t0](diameter::Answer a) {
      const auto now = Clock::now();
      bool again;
      {
        std::lock_guard lock(mutex_);
        if (a.status == diameter::AnswerStatus::Answered && a.result.code == 1001) {
          ++answered;
          if (t0 >= start_ && now < deadline_) {
            ++in_window;
            samples.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - t0).count());
          }
        } else {
          ++failed;
          ++errors[a.describe().substr(0, 60)];
        }
        again = now < deadline_ && failed < 1000;
        if (!again && --in_flight_ == 0) cv_.notify_all();
      }
      if (again) send();
    });
  }

  diameter::Stack& stack_;
  std::string realm_;
  unsigned concurrency_;
  Clock::time_point start_, deadline_;
  std::mutex mutex_;
  std::condition_variable cv_;
  unsigned in_flight_ = 0;
};

int run(const std::string& config_path, const std::string& realm, unsigned concurrency, double seconds,
        double warmup, bool json) {
  auto c = load(config_path);
  c.log.level = "warn";
  log::configure(c.log, "ceiling");
  if (c.diameter.connect.empty()) {
    std::cerr << "ceiling: the configuration names no peer to dial (diameter.connect)\n";
    return 2;
  }
  const auto server = c.diameter.connect.front().identity;
  const auto destination = realm.empty() ? c.diameter.realm : realm;
  diameter::Stack stack(stack_options(c, {}, false));
  stack.advertise(apps::DiameterEapApp::kApplicationName);
  stack.start();
  if (!stack.wait_peer_open(server, std::chrono::seconds(10))) {
    std::cerr << "ceiling: could not connect to " << server << "\n";
    stack.shutdown();
    return 3;
  }
  Load load(stack, destination, concurrency);
  const auto to_duration = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  load.run(to_duration(warmup), to_duration(seconds));
  stack.shutdown();
  const auto lat = client::summarize(load.samples);
  const double rate = static_cast<double>(load.in_window) / seconds;
  auto ms = [](std::int64_t us) { return static_cast<double>(us) / 1000.0; };
  if (json) {
    nlohmann::json j{{"concurrency", concurrency},
                     {"duration_s", seconds},
                     {"warmup_s", warmup},
                     {"exchanges", load.in_window},
                     {"failed", load.failed},
                     {"exchanges_per_s", rate},
                     {"latency_ms",
                      {{"samples", lat.samples},
                       {"mean", lat.mean_us / 1000.0},
                       {"p50", ms(lat.p50_us)},
                       {"p90", ms(lat.p90_us)},
                       {"p99", ms(lat.p99_us)},
                       {"p99.9", ms(lat.p999_us)},
                       {"max", ms(lat.max_us)}}},
                     {"errors", load.errors}};
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << std::fixed << std::setprecision(2) << "ceiling: DER/DEA, " << concurrency << " in flight, " << seconds
              << " s\n  exchanges/s   " << rate << "\n  latency (ms)  p50 " << ms(lat.p50_us) << "  p90 "
              << ms(lat.p90_us) << "  p99 " << ms(lat.p99_us) << "  p99.9 " << ms(lat.p999_us) << "  max "
              << ms(lat.max_us) << "\n  failed        " << load.failed << "\n";
    for (const auto& [reason, n] : load.errors) std::cout << "  error         " << n << " x " << reason << "\n";
  }
  return load.in_window > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ceiling: minimal DER/DEA exchange on the embedded stack, for benchmark ratios"};
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (YAML, the daemons' format)")
      ->required()
      ->check(CLI::ExistingFile);
  std::vector<std::string> accepted;
  auto* serve_cmd = app.add_subcommand("serve", "answer every DER with DEA 1001 at once");
  serve_cmd->add_option("--accept", accepted, "Diameter identity allowed to connect (repeat)")->required();
  unsigned concurrency = 128;
  double seconds = 10, warmup = 2;
  std::string realm;
  bool json = false;
  auto* run_cmd = app.add_subcommand("run", "keep C requests in flight for S seconds");
  run_cmd->add_option("--concurrency", concurrency, "requests in flight (default 128)")->check(CLI::Range(1u, 100000u));
  run_cmd->add_option("--duration", seconds, "seconds measured (default 10)")->check(CLI::PositiveNumber);
  run_cmd->add_option("--warmup", warmup, "seconds before measuring (default 2)")->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--realm", realm, "Destination-Realm (default: the configuration's realm)");
  run_cmd->add_flag("--json", json, "one JSON object");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (serve_cmd->parsed()) return serve(config_path, accepted);
    return run(config_path, realm, concurrency, seconds, warmup, json);
  } catch (const std::exception& e) {
    std::cerr << "ceiling: " << e.what() << "\n";
    return 3;
  }
}
