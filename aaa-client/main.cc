// aaa-client: plays the AAA client (attendant, registration agent, NAS) and
// the mobile nodes behind it, over Diameter EAP to visited-aaa.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <openssl/crypto.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include <atomic>
#include <csignal>
#include <future>
#include <iostream>
#include <thread>

#include "apps/diameter_eap.h"
#include "bench.h"
#include "cli/command_line.h"
#include "config/config.h"
#include "config/install_paths.h"
#include "config/tls_credentials.h"
#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/key_input.h"
#include "crypto/random.h"
#include "diameter/stack.h"
#include "eap_session.h"
#include "log/logging.h"
#include "mobile_state.h"

namespace roamkey::client {
namespace {

// Exit codes, documented in README.md.
constexpr int kExitOk = 0;
constexpr int kExitRejected = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

struct ClientSettings {
  config::DiameterConfig diameter;
  config::LogConfig log;
  std::string server_realm;
  std::chrono::seconds timeout{10};
};

ClientSettings load_settings(const std::string& path) {
  const auto doc = config::load(path);
  ClientSettings s;
  s.log = config::parse_log(doc);
  config::only_sections(doc, {"client"});
  s.diameter = config::parse_diameter(doc, config::default_dictionary());
  config::require_usable_tls(s.diameter);
  if (s.diameter.connect.empty()) doc.fail("diameter.connect", "aaa-client needs the visited-aaa peer to dial");
  const YAML::Node c = doc.root["client"];
  s.server_realm = s.diameter.realm;
  if (c && !c.IsNull()) {
    config::field::only_keys(doc, c, "client", {"server_realm", "timeout"});
    s.server_realm = crypto::lower_realm(config::field::string(doc, c, "client", "server_realm", s.diameter.realm));
    s.timeout = std::chrono::seconds(config::field::integer(doc, c, "client", "timeout", 1, 600, 10));
  }
  return s;
}

// The seed of the bench keys, from a file (hex, surrounding white space
// allowed) rather than the command line, where every user sees it.
crypto::Bytes read_key_seed(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--key-seed-file: cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  const auto hex = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  OPENSSL_cleanse(text.data(), text.size());
  crypto::Bytes seed;
  try {
    seed = crypto::from_hex(hex);
  } catch (const std::exception&) {
    throw std::invalid_argument("--key-seed-file: " + path + " must hold the seed as hex digits");
  }
  if (seed.empty()) throw std::invalid_argument("--key-seed-file: " + path + " is empty");
  return seed;
}

struct AuthArgs {
  std::string nai;
  std::string key_hex;
  std::string key_file;
  bool home_auth = false;
  std::string state_file;
  bool json = false;
  bool verbose = false;
  std::string tamper = "none";
  bool reject_update = false;
  bool silent_on_update = false;
  bool corrupt_mac = false;
  bool identity_request_first = false;
};

void print(const AuthArgs& a, const AuthOutcome& o) {
  if (a.json) {
    nlohmann::json j{{"result", o.success ? "success" : "failure"},
                     {"nai", a.nai},
                     {"generation", o.generation},
                     {"highest_generation", o.highest_generation},
                     {"eap_key_name", crypto::to_hex(o.key_name)},
                     {"msk_match", o.msk_match},
                     {"home_auth", o.home_authenticated},
                     {"key_updated", o.updated},
                     {"result_code", o.result_code},
                     {"reason", o.reason},
                     {"diameter_round_trips", o.round_trips}};
    std::cout << j.dump() << std::endl;
    return;
  }
  if (o.success) {
    std::cout << "authentication of " << a.nai << ": SUCCESS\n"
              << "  key generation   " << o.generation << "\n"
              << "  EAP-Key-Name     " << crypto::to_hex(o.key_name) << "\n"
              << "  MSK match        " << (o.msk_match ? "yes (mobile and AAA client hold the same MSK)" : "NO") << "\n"
              << "  home authenticated " << (o.home_authenticated ? "yes" : "no (not requested)") << "\n"
              << "  key updated      " << (o.updated ? "yes" : "no") << "\n"
              << "  Diameter round trips " << o.round_trips << std::endl;
  } else {
    std::cout << "authentication of " << a.nai << ": FAILURE\n"
              << "  reason           " << o.reason << "\n"
              << "  Diameter round trips " << o.round_trips << std::endl;
  }
}

std::atomic<int> g_exit_code{kExitOk};
extern "C" void exit_with_decided_code(int) {
  _exit(g_exit_code.load());
}

// freeDiameter 1.2.1's shutdown sometimes aborts (libfdproto fifo.c:192,
// "++loops < 20") or stalls when the peer closes at the same moment. By then
// the outcome is printed and the state saved, so neither may change the
// exit code: a SIGABRT during shutdown, and a watchdog after 5 s, end the
// process with the code already decided.
int stop_with(diameter::Stack& stack, int code) {
  std::cout.flush();
  std::cerr.flush();
  g_exit_code.store(code);
  std::signal(SIGABRT, exit_with_decided_code);
  std::thread([code] {
    std::this_thread::sleep_for(std::chrono::seconds(5));
    _exit(code);
  }).detach();
  stack.shutdown();
  return code;
}

// The AAA client's Diameter node: no listener, signals left to the default
// (a CLI is stopped with Ctrl-C), Diameter EAP advertised.
diameter::StackOptions client_stack_options(const ClientSettings& settings, const config::LogConfig& log_config) {
  diameter::StackOptions so;
  so.program = "aaa-client";
  so.diameter = settings.diameter;
  so.diameter_log_level = log_config.diameter_level;
  so.handle_signals = false;
  return so;
}

// Starts the node and waits for the link to visited-aaa; kExitOk once open.
int open_link(diameter::Stack& stack, const ClientSettings& settings) {
  stack.advertise(apps::DiameterEapApp::kApplicationName);
  stack.start();
  const auto& server = settings.diameter.connect.front().identity;
  if (stack.wait_peer_open(server, settings.timeout)) return kExitOk;
  std::cerr << "aaa-client: could not connect to " << server << " within " << settings.timeout.count()
            << " s (is visited-aaa running, and does it accept " << settings.diameter.identity << "?)\n";
  return stop_with(stack, kExitUnreachable);
}

int run_auth(const std::string& config_path, const AuthArgs& args) {
  ClientSettings settings;
  AuthOptions options;
  std::optional<MobileState> state;
  try {
    settings = load_settings(config_path);
    if (args.key_hex.empty() == args.key_file.empty())
      throw std::invalid_argument("give exactly one of --key and --key-file");
    options.k = args.key_file.empty() ? crypto::key_from_hex(args.key_hex) : crypto::read_key_file(args.key_file);
    if (!args.state_file.empty()) state = MobileState::load(args.state_file);
  } catch (const std::exception& e) {
    std::cerr << "aaa-client: " << e.what() << "\n";
    return kExitUsage;
  }
  auto log_config = settings.log;
  if (!args.verbose && log_config.file.empty()) log_config.level = "warn";
  log::configure(log_config, "aaa-client");

  options.nai = args.nai;
  options.highest_generation = state ? state->highest_generation(args.nai) : 0;
  options.home_auth = args.home_auth;
  options.identity_request_first = args.identity_request_first;
  options.destination_realm = settings.server_realm;
  options.round_timeout = settings.timeout;
  options.faults.corrupt_mac = args.corrupt_mac;
  options.faults.reject_update = args.reject_update;
  options.faults.silent_on_update = args.silent_on_update;
  if (args.tamper == "rogue-home-auth") options.tamper = Tamper::RogueHomeAuth;
  if (args.tamper == "malformed") options.tamper = Tamper::Malformed;
  if (args.tamper == "no-eap-payload") options.tamper = Tamper::NoEapPayload;

  try {
    diameter::Stack stack(client_stack_options(settings, log_config));
    if (const int code = open_link(stack, settings); code != kExitOk) return code;
    crypto::SystemRandom random;
    std::promise<AuthOutcome> promise;
    auto future = promise.get_future();
    EapSession::start(stack, std::move(options), random,
                      [&promise](AuthOutcome o) { promise.set_value(std::move(o)); });
    // Every round has its own timeout; this only bounds a lost callback.
    if (future.wait_for(settings.timeout * 8) != std::future_status::ready) {
      std::cerr << "aaa-client: no outcome within " << (settings.timeout * 8).count() << " s\n";
      return stop_with(stack, kExitUnreachable);
    }
    const auto outcome = future.get();
    // The mobile's state and the outcome are final before the stack stops.
    if (state && outcome.success) {
      state->accept(args.nai, outcome.highest_generation);
      state->save();
    }
    print(args, outcome);
    const int code = outcome.success ? kExitOk : outcome.unreachable ? kExitUnreachable : kExitRejected;
    return stop_with(stack, code);
  } catch (const std::exception& e) {
    std::cerr << "aaa-client: " << e.what() << "\n";
    return kExitUnreachable;
  }
}

struct BenchArgs {
  std::string nai_pattern;
  std::uint64_t mobiles = 0;
  std::uint64_t first_index = 0;
  std::string key_seed_file;
  std::string key_file_pattern;
  unsigned concurrency = 16;
  double duration = 0;
  std::uint64_t requests = 0;
  std::string mode = "local";
  double new_fraction = 0.1;
  std::uint64_t warm_mobiles = 0;
  bool json = false;
};

int run_bench_command(const std::string& config_path, const BenchArgs& args) {
  ClientSettings settings;
  BenchOptions options;
  try {
    settings = load_settings(config_path);
    options.nai_pattern = args.nai_pattern;
    options.mobiles = args.mobiles;
    options.first_index = args.first_index;
    if (!args.key_seed_file.empty()) options.seed = read_key_seed(args.key_seed_file);
    options.key_file_pattern = args.key_file_pattern;
    options.concurrency = args.concurrency;
    if (args.duration > 0) options.duration = std::chrono::milliseconds(static_cast<long>(args.duration * 1000));
    if (args.requests > 0) options.requests = args.requests;
    options.mode = args.mode == "first-contact" ? BenchMode::FirstContact
                   : args.mode == "mix"         ? BenchMode::Mix
                                                : BenchMode::Local;
    options.new_fraction = args.new_fraction;
    options.warm_mobiles = args.warm_mobiles;
    options.destination_realm = settings.server_realm;
    options.round_timeout = settings.timeout;
    validate(options);
  } catch (const std::exception& e) {
    std::cerr << "aaa-client: " << e.what() << "\n";
    return kExitUsage;
  }
  auto log_config = settings.log;
  if (log_config.file.empty()) log_config.level = "warn";
  log::configure(log_config, "aaa-client");
  try {
    diameter::Stack stack(client_stack_options(settings, log_config));
    if (const int code = open_link(stack, settings); code != kExitOk) return code;
    crypto::SystemRandom random;
    const auto report = run_bench(stack, options, random);
    if (args.json) {
      std::cout << to_json(report) << std::endl;
    } else {
      print_text(std::cout, report);
    }
    return stop_with(stack, report.succeeded > 0 ? kExitOk : kExitRejected);
  } catch (const std::exception& e) {
    std::cerr << "aaa-client: " << e.what() << "\n";
    return kExitUnreachable;
  }
}

struct ProvisionArgs {
  std::string nai_pattern;
  std::uint64_t count = 0;
  std::uint64_t first_index = 0;
  std::string key_seed_file;
  std::string roaming = "*";
  std::string out;
};

int run_provision_file(const ProvisionArgs& args) {
  try {
    const auto seed = read_key_seed(args.key_seed_file);
    bench_nai(args.nai_pattern, 0);
    // The file holds every K: readable by its owner only.
    const auto old_mask = ::umask(077);
    std::ofstream out(args.out, std::ios::trunc);
    ::umask(old_mask);
    if (!out) throw std::runtime_error("cannot write " + args.out);
    write_provision_file(out, args.nai_pattern, seed, args.first_index, args.count, args.roaming);
    out.close();
    if (!out) throw std::runtime_error("cannot write " + args.out);
    return kExitOk;
  } catch (const std::exception& e) {
    std::cerr << "aaa-client: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace
}  // namespace roamkey::client

int main(int argc, char** argv) {
  using namespace roamkey::client;
  CLI::App app{"aaa-client: RoamKey AAA client and mobile node simulator (Diameter EAP, EAP-TSK)", "aaa-client"};
  roamkey::cli::add_version_flag(app, "aaa-client");
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (YAML)");

  AuthArgs a;
  auto* auth = app.add_subcommand("auth", "run one authentication as AAA client + mobile node; exit 0 on success");
  auth->add_option("-c,--config", config_path, "configuration file (YAML)");
  auth->add_option("--nai", a.nai, "the mobile's NAI, user@home.realm")->required();
  auto* key = auth->add_option("--key", a.key_hex, "the mobile's K, 64 hex digits");
  auth->add_option("--key-file", a.key_file, "file holding K (64 hex digits or 32 raw bytes)")->excludes(key);
  auth->add_flag("--home-auth", a.home_auth, "authenticate the home domain too (host challenge)");
  auth->add_option("--state", a.state_file, "JSON file keeping the mobile's highest accepted key generation");
  auth->add_flag("--json", a.json, "print the outcome as one JSON object");
  auth->add_flag("-v,--verbose", a.verbose, "log at the configured level instead of warnings only");
  auth->add_flag("--identity-request", a.identity_request_first,
                 "start with an empty EAP-Payload so the server asks for the identity");
  auth->add_option("--tamper", a.tamper, "misbehave on purpose (tests)")
      ->check(CLI::IsMember({"none", "rogue-home-auth", "malformed", "no-eap-payload"}));
  auth->add_flag("--corrupt-mac", a.corrupt_mac, "the mobile sends wrong AT_MACs (tests)");
  auth->add_flag("--reject-update", a.reject_update, "the mobile rejects AUTH_NET in a key update (tests)");
  auth->add_flag("--silent-update", a.silent_on_update, "the mobile never answers an Update-Request (tests)");

  BenchArgs b;
  auto* bench = app.add_subcommand("bench", "load generator: many simulated mobiles, C conversations in flight");
  bench->add_option("-c,--config", config_path, "configuration file (YAML)");
  bench->add_option("--nai-prefix", b.nai_pattern, "NAI pattern user@realm; mobile i is user<i>@realm")->required();
  bench->add_option("--count-mobiles", b.mobiles, "number of provisioned mobiles to use")->required();
  bench->add_option("--first-index", b.first_index, "index of the first mobile (default 0)");
  auto* seed = bench->add_option("--key-seed-file", b.key_seed_file,
                                 "file holding the hex seed: K_i = HMAC-SHA-256(seed, i) (provision-file)");
  bench->add_option("--key-file-pattern", b.key_file_pattern, "key file per mobile, {} = index")->excludes(seed);
  bench->add_option("--concurrency", b.concurrency, "conversations kept in flight (default 16)")
      ->check(CLI::Range(1u, 100000u));
  auto* dur = bench->add_option("--duration", b.duration, "seconds to measure");
  bench->add_option("--requests", b.requests, "authentications to measure")->excludes(dur);
  bench->add_option("--mode", b.mode, "local (warm the cache first), first-contact (every mobile new), mix")
      ->check(CLI::IsMember({"local", "first-contact", "mix"}));
  bench->add_option("--new-fraction", b.new_fraction, "mix: share of authentications by new mobiles (default 0.1)");
  bench->add_option("--warm-mobiles", b.warm_mobiles, "mix: mobiles warmed before measuring (default half)");
  bench->add_flag("--json", b.json, "print the report as one JSON object");

  ProvisionArgs pf;
  auto* provision = app.add_subcommand(
      "provision-file", "write the subscribers of `bench` for `home-aaa subscriber import` (nai,k_hex,roaming)");
  provision->add_option("--nai-prefix", pf.nai_pattern, "NAI pattern user@realm; mobile i is user<i>@realm")
      ->required();
  provision->add_option("--count", pf.count, "number of mobiles")->required();
  provision->add_option("--first-index", pf.first_index, "index of the first mobile (default 0)");
  provision->add_option("--key-seed-file", pf.key_seed_file, "file holding the hex seed: K_i = HMAC-SHA-256(seed, i)")
      ->required();
  provision->add_option("--roaming", pf.roaming, "\"*\" (every partner, default) or realms joined by ';'");
  provision->add_option("--out", pf.out, "file to write (mode 0600)")->required();

  if (const auto code = roamkey::cli::parse(app, argc, argv, "aaa-client")) return *code;
  if (provision->parsed()) return run_provision_file(pf);
  if (config_path.empty()) {
    std::cerr << "aaa-client: --config FILE is required (see --help)\n";
    return kExitUsage;
  }
  if (auth->parsed()) return run_auth(config_path, a);
  if (bench->parsed()) return run_bench_command(config_path, b);
  return kExitUsage;
}
