// aaa-client: plays the AAA client (attendant, registration agent, NAS) and
// the mobile nodes behind it, over Diameter EAP to visited-aaa.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <future>
#include <iostream>

#include "apps/diameter_eap.h"
#include "config/config.h"
#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/key_input.h"
#include "crypto/random.h"
#include "diameter/stack.h"
#include "eap_session.h"
#include "log/logging.h"
#include "mobile_state.h"

#ifndef ROAMKEY_DEFAULT_DICTIONARY
#define ROAMKEY_DEFAULT_DICTIONARY "/usr/share/roamkey/roamkey.xml"
#endif

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
  s.diameter = config::parse_diameter(doc, ROAMKEY_DEFAULT_DICTIONARY);
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

int run_auth(const std::string& config_path, const AuthArgs& args) {
  ClientSettings settings;
  AuthOptions options;
  std::optional<MobileState> state;
  try {
    settings = load_settings(config_path);
    if (args.key_hex.empty() == args.key_file.empty()) throw std::invalid_argument("give exactly one of --key and --key-file");
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
    diameter::StackOptions so;
    so.program = "aaa-client";
    so.diameter = settings.diameter;
    so.diameter_log_level = log_config.diameter_level;
    so.handle_signals = false;
    diameter::Stack stack(std::move(so));
    stack.advertise(apps::DiameterEapApp::kApplicationName);
    stack.start();
    const auto& server = settings.diameter.connect.front().identity;
    if (!stack.wait_peer_open(server, settings.timeout)) {
      std::cerr << "aaa-client: could not connect to " << server << " within " << settings.timeout.count()
                << " s (is visited-aaa running, and does it accept " << settings.diameter.identity << "?)\n";
      stack.shutdown();
      return kExitUnreachable;
    }
    crypto::SystemRandom random;
    std::promise<AuthOutcome> promise;
    auto future = promise.get_future();
    EapSession::start(stack, std::move(options), random, [&promise](AuthOutcome o) { promise.set_value(std::move(o)); });
    // Every round has its own timeout; this only bounds a lost callback.
    if (future.wait_for(settings.timeout * 8) != std::future_status::ready) {
      std::cerr << "aaa-client: no outcome within " << (settings.timeout * 8).count() << " s\n";
      stack.shutdown();
      return kExitUnreachable;
    }
    const auto outcome = future.get();
    stack.shutdown();
    print(args, outcome);
    if (state && outcome.success) {
      state->accept(args.nai, outcome.highest_generation);
      state->save();
    }
    if (outcome.success) return kExitOk;
    return outcome.unreachable ? kExitUnreachable : kExitRejected;
  } catch (const std::exception& e) {
    std::cerr << "aaa-client: " << e.what() << "\n";
    return kExitUnreachable;
  }
}

}  // namespace
}  // namespace roamkey::client

int main(int argc, char** argv) {
  using namespace roamkey::client;
  CLI::App app{"aaa-client: RoamKey AAA client and mobile node simulator (Diameter EAP, EAP-TSK)"};
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (YAML)")->check(CLI::ExistingFile);

  AuthArgs a;
  auto* auth = app.add_subcommand("auth", "run one authentication as AAA client + mobile node; exit 0 on success");
  auth->add_option("-c,--config", config_path, "configuration file (YAML)")->check(CLI::ExistingFile);
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  if (config_path.empty()) {
    std::cerr << "aaa-client: --config FILE is required\n";
    return kExitUsage;
  }
  if (auth->parsed()) return run_auth(config_path, a);
  return kExitUsage;
}
