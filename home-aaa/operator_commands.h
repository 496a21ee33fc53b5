#pragma once
// The bodies of the operator subcommands of home-aaa (main.cc parses the
// command line). Results go to `out`, warnings to `err`; failures are
// thrown (main.cc turns them into one line on stderr and an exit code).
// Nothing here ever prints K.

#include <filesystem>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

#include "delegation_service.h"
#include "delegation_store.h"
#include "roaming_partners.h"
#include "subscriber_store.h"

namespace roamkey::home::cli {

// The command line was wrong: exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // store, configuration or runtime error
inline constexpr int kExitUsage = 2;

struct Context {
  std::filesystem::path store_path;
  std::optional<RoamingPartners> partners;  // from --config, to warn about realms that are no partner
  std::ostream& out;
  std::ostream& err;
  Clock now = system_now;
  // store.master_key_file or --master-key-file; empty: none. Only the
  // commands that read or write K (add, import, store rekey, store info)
  // read it: the others work without access to the key.
  std::filesystem::path master_key_file = {};
};

void add_subscriber(const Context& c, const std::string& nai, const crypto::SecretBytes& k,
                    const RoamingScope& roaming);
// `file` "-" reads standard input. All or nothing (subscriber_import.h).
void import_subscribers(const Context& c, const std::string& file);
// Text: one tab-separated line per subscriber under a header. JSON: one
// object per line (JSON Lines).
void list_subscribers(const Context& c, bool json);
void show_subscriber(const Context& c, const std::string& nai, bool json);
// Barring, removal, and a roaming change that excludes the realm of the
// active delegation revoke it (SUBSCRIPTION_WITHDRAWN); the output says so.
void set_status(const Context& c, const std::string& nai, SubscriberStatus status);
void set_roaming(const Context& c, const std::string& nai, const RoamingScope& roaming);
void remove_subscriber(const Context& c, const std::string& nai);
// The active delegation, the generation the mobile holds, the vectors
// issued (generation, RAND, realm, host, times), the revocations and key
// pushes with their attempts and last errors, the key-update reports and
// the operator's requests; never a key. JSON: one object whose "vectors"
// is the list of issued vectors.
void list_delegations(const Context& c, const std::string& nai, bool json);

// Ends the active delegation and queues a DRR to each of its hosts; the
// daemon delivers it (retrying until the visited host answers).
void revoke(const Context& c, const std::string& nai, RevocationCause cause);
// Queues a rotation for the daemon, which issues the next generation and
// pushes it (KPR) to the visited host of the active delegation.
void rotate(const Context& c, const std::string& nai);
// Seals every K under the master key in `new_master_key_file`, or, when it
// is empty, under the configured one (sealing K still stored in clear).
void rekey_store(const Context& c, const std::filesystem::path& new_master_key_file);
// Schema version and how K are kept.
void store_info(const Context& c, bool json);

// "administrative", "subscription-withdrawn", "key-compromised".
std::optional<RevocationCause> revocation_cause_from(const std::string& name);

}  // namespace roamkey::home::cli
