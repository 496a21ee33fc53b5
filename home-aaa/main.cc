// home-aaa: the home domain's AAA server (`run`) and the operator's tool for
// its subscriber store. Exit codes: 0 success, 1 runtime, store or
// configuration error, 2 usage error. Errors are one line on stderr.

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "config/config.h"
#include "crypto/key_input.h"
#include "daemon.h"
#include "home_config.h"
#include "operator_commands.h"
#include "subscriber_store.h"

namespace {

using namespace roamkey::home;
using cli::UsageError;

struct Options {
  std::string config;
  std::string store;
  std::string nai;
  std::string key_hex;
  std::string key_file;
  std::vector<std::string> realms;
  bool all_partners = false;
  bool no_roaming = false;
  bool json = false;
  std::string import_file;
  std::string master_key_file;
  std::string new_master_key_file;
  std::string cause = "administrative";
};

// Wipes the --key argument wherever we hold it (CLI11 keeps its own copy,
// which is why --key-file is the recommended form).
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { OPENSSL_cleanse(s.data(), s.size()); }
};

roamkey::crypto::SecretBytes key_from_options(const Options& o) {
  if (o.key_hex.empty() == o.key_file.empty()) throw UsageError("give K with exactly one of --key or --key-file");
  if (!o.key_file.empty()) return roamkey::crypto::read_key_file(o.key_file);
  try {
    return roamkey::crypto::key_from_hex(o.key_hex);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--key: ") + e.what());
  }
}

RoamingScope roaming_from_options(const Options& o) {
  if (o.all_partners) return RoamingScope::everywhere();
  return RoamingScope{false, o.realms};
}

cli::Context context_from_options(const Options& o) {
  cli::Context c{{}, std::nullopt, std::cout, std::cerr};
  if (!o.config.empty()) {
    const auto home = parse_home_config(roamkey::config::load(o.config));
    c.store_path = home.store.path;
    c.partners = home.roaming_partners;
    c.master_key_file = home.store.master_key_file;
  }
  if (!o.store.empty()) c.store_path = o.store;
  if (!o.master_key_file.empty()) c.master_key_file = o.master_key_file;
  if (c.store_path.empty()) throw UsageError("no subscriber store: give --store PATH or --config FILE");
  return c;
}

CLI::App* nai_option(CLI::App* cmd, Options& o) {
  cmd->add_option("--nai", o.nai, "the subscriber's NAI (user@realm)")->required();
  return cmd;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  WipeOnExit wipe{o.key_hex};

  // The store, its -wal/-shm and the log hold NAIs: never world-readable.
  ::umask(027);
  CLI::App app{"RoamKey home AAA server and subscriber store tool", "home-aaa"};
  roamkey::cli::add_version_flag(app, "home-aaa");
  app.fallthrough();  // --config and --store may also follow the subcommand
  app.require_subcommand(1);
  app.add_option("-c,--config", o.config, "configuration file (YAML); its store.path locates the store");
  app.add_option("--store", o.store, "subscriber store file; overrides store.path of --config");
  app.add_option("--master-key-file", o.master_key_file,
                 "the key K is sealed under in the store (mode 0600); overrides store.master_key_file of --config. "
                 "Read only by the commands that read or write K (subscriber add/import, store rekey/info)");

  auto* run = app.add_subcommand("run", "run the daemon (needs --config)");
  auto* check_config =
      app.add_subcommand("check-config",
                         "check the configuration (needs --config): every key, the TLS credentials, the master key and "
                         "the store, read-only; print every problem; exit 0 if usable, 1 if not");

  auto* subscriber = app.add_subcommand("subscriber", "manage subscribers");
  subscriber->require_subcommand(1);

  auto* add =
      subscriber->add_subcommand("add", "provision a subscriber (may roam nowhere unless --realm or --all-partners)");
  nai_option(add, o);
  auto* key =
      add->add_option("--key", o.key_hex, "K as 64 hex digits (visible in the process list: prefer --key-file)");
  auto* key_file = add->add_option("--key-file", o.key_file,
                                   "file holding K as 32 raw bytes or 64 hex digits; - reads standard input");
  key->excludes(key_file);
  auto* realm = add->add_option("--realm", o.realms, "a visited realm the subscriber may roam to (repeatable)");
  add->add_flag("--all-partners", o.all_partners, "the subscriber may roam to every roaming partner")->excludes(realm);

  auto* import = subscriber->add_subcommand(
      "import",
      "provision subscribers from a file, all or nothing; lines: nai,k_hex[,realm;realm|*] or JSON objects "
      "{\"nai\",\"k\",\"realms\",\"all_partners\"}");
  import->add_option("FILE", o.import_file, "the file; - reads standard input")->required();

  auto* list = subscriber->add_subcommand("list", "list subscribers (never K)");
  list->add_flag("--json", o.json, "one JSON object per line");

  auto* show = subscriber->add_subcommand("show", "show one subscriber (never K)");
  nai_option(show, o);
  show->add_flag("--json", o.json, "as a JSON object");

  auto* bar =
      nai_option(subscriber->add_subcommand("bar",
                                            "suspend a subscriber (delegations answer 5403) and revoke its active "
                                            "delegation (DRR, SUBSCRIPTION_WITHDRAWN)"),
                 o);
  auto* unbar = nai_option(subscriber->add_subcommand("unbar", "lift a suspension"), o);
  auto* remove =
      nai_option(subscriber->add_subcommand("remove",
                                            "delete a subscriber and its vector records (its generation is kept) and "
                                            "revoke its active delegation (DRR, SUBSCRIPTION_WITHDRAWN)"),
                 o);

  auto* roam = subscriber->add_subcommand(
      "roam", "replace where a subscriber may roam (revokes the active delegation if its realm is no longer allowed)");
  nai_option(roam, o);
  auto* roam_realm = roam->add_option("--realm", o.realms, "a visited realm the subscriber may roam to (repeatable)");
  auto* roam_all = roam->add_flag("--all-partners", o.all_partners, "every roaming partner");
  auto* roam_none = roam->add_flag("--none", o.no_roaming, "nowhere");
  roam_all->excludes(roam_realm);
  roam_none->excludes(roam_realm);
  roam_none->excludes(roam_all);

  auto* delegations =
      app.add_subcommand("delegations",
                         "a subscriber's active delegation, the generation its mobile holds, the vectors issued, "
                         "revocations and key pushes with attempts and last error, key-update reports (never keys)");
  nai_option(delegations, o);
  delegations->add_flag("--json", o.json, "as one JSON object (\"vectors\": the issued vectors)");

  auto* revoke = app.add_subcommand(
      "revoke",
      "revoke a subscriber's active delegation: the daemon sends a DRR to each visited host holding it, "
      "retrying until it is answered; works whether or not the daemon runs");
  nai_option(revoke, o);
  revoke->add_option("--cause", o.cause, "Revocation-Cause (default administrative)")
      ->check(CLI::IsMember({"administrative", "subscription-withdrawn", "key-compromised"}));

  auto* rotate = app.add_subcommand(
      "rotate",
      "force a key rotation: the daemon issues the next generation of the active delegation and pushes "
      "it (KPR) to the visited host, which offers it to the mobile at its next authentication");
  nai_option(rotate, o);

  auto* store = app.add_subcommand("store", "maintain the subscriber store");
  store->require_subcommand(1);
  auto* rekey =
      store->add_subcommand("rekey", "seal every K under a master key (AES-256-GCM), crash-safe: one transaction");
  rekey->add_option("--new-master-key-file", o.new_master_key_file,
                    "re-seal every K under the key in this file (mode 0600); without it, seal the K still in clear "
                    "under the configured store.master_key_file");
  rekey->footer(
      "To change the master key:\n"
      "  1. make the new key: (umask 077; openssl rand -hex 32 > NEW.key)\n"
      "  2. stop home-aaa (a running daemon keeps the old key and cannot read K sealed under the new one)\n"
      "  3. home-aaa --config FILE store rekey --new-master-key-file NEW.key\n"
      "  4. set store.master_key_file: NEW.key in FILE and start home-aaa\n"
      "  5. destroy the old key file once home-aaa runs with the new one\n"
      "Until step 3 completes every K stays under the old key, whatever happens (error, crash, power loss).\n"
      "A store and a master key that do not match are refused at start-up.\n"
      "To seal a store that holds K in clear: set store.master_key_file (new K are then sealed), then run\n"
      "  home-aaa --config FILE store rekey");
  auto* info = store->add_subcommand("info", "schema version and how K are kept (sealed, in clear, master key)");
  info->add_flag("--json", o.json, "as a JSON object");

  if (const auto code = roamkey::cli::parse(app, argc, argv, "home-aaa")) return *code;

  try {
    if (*run) {
      if (o.config.empty()) throw UsageError("run: --config FILE is required");
      if (!o.store.empty() || !o.master_key_file.empty())
        throw UsageError("run: the store and its master key come from --config (store.path, store.master_key_file)");
      return roamkey::home::run_daemon(o.config);
    }
    if (*check_config) {
      if (o.config.empty()) throw UsageError("check-config: --config FILE is required");
      if (!o.store.empty() || !o.master_key_file.empty())
        throw UsageError("check-config: the store and its master key come from --config");
      return roamkey::home::check_config(o.config, std::cout, std::cerr);
    }
    const auto c = context_from_options(o);
    if (*add) {
      cli::add_subscriber(c, o.nai, key_from_options(o), roaming_from_options(o));
    } else if (*import) {
      cli::import_subscribers(c, o.import_file);
    } else if (*list) {
      cli::list_subscribers(c, o.json);
    } else if (*show) {
      cli::show_subscriber(c, o.nai, o.json);
    } else if (*bar) {
      cli::set_status(c, o.nai, SubscriberStatus::Barred);
    } else if (*unbar) {
      cli::set_status(c, o.nai, SubscriberStatus::Active);
    } else if (*remove) {
      cli::remove_subscriber(c, o.nai);
    } else if (*roam) {
      if (!o.all_partners && !o.no_roaming && o.realms.empty())
        throw UsageError("roam: give --realm R (repeatable), --all-partners or --none");
      cli::set_roaming(c, o.nai, roaming_from_options(o));
    } else if (*delegations) {
      cli::list_delegations(c, o.nai, o.json);
    } else if (*revoke) {
      const auto cause = cli::revocation_cause_from(o.cause);
      if (!cause) throw UsageError("revoke: unknown --cause " + o.cause);
      cli::revoke(c, o.nai, *cause);
    } else if (*rotate) {
      cli::rotate(c, o.nai);
    } else if (*rekey) {
      cli::rekey_store(c, o.new_master_key_file);
    } else if (*info) {
      cli::store_info(c, o.json);
    }
    return cli::kExitOk;
  } catch (const UsageError& e) {
    std::cerr << "home-aaa: " << e.what() << " (see --help)\n";
    return cli::kExitUsage;
  } catch (const std::invalid_argument& e) {  // a malformed NAI, realm or key
    std::cerr << "home-aaa: " << e.what() << "\n";
    return cli::kExitUsage;
  } catch (const std::exception& e) {  // StoreError, ConfigError, I/O
    std::cerr << "home-aaa: " << e.what() << "\n";
    return cli::kExitFailure;
  }
}
