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
};

void add_subscriber(const Context& c, const std::string& nai, const crypto::SecretBytes& k,
                    const RoamingScope& roaming);
// `file` "-" reads standard input. All or nothing (subscriber_import.h).
void import_subscribers(const Context& c, const std::string& file);
// Text: one tab-separated line per subscriber under a header. JSON: one
// object per line (JSON Lines).
void list_subscribers(const Context& c, bool json);
void show_subscriber(const Context& c, const std::string& nai, bool json);
void set_status(const Context& c, const std::string& nai, SubscriberStatus status);
void set_roaming(const Context& c, const std::string& nai, const RoamingScope& roaming);
void remove_subscriber(const Context& c, const std::string& nai);
// The vectors issued (generation, RAND, realm, host, times), never a key.
void list_delegations(const Context& c, const std::string& nai, bool json);

}  // namespace roamkey::home::cli
