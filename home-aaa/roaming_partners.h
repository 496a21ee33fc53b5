#pragma once
// The visited realms this home domain delegates to, and which Diameter
// identities may speak for each (protocol.md sec. 3: a DLR is accepted only
// from a realm listed as a roaming partner). Realms and identities are
// compared without regard to ASCII case.
//
// A partner may also have its own delegation policy and the key-encryption
// keys (KEKs) agreed with it for Wrapped-TSK-Key (protocol.md sec. 2, RFC
// 3394): when `wrap_with` names one, TSKs go to that partner only wrapped.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delegation_policy.h"

namespace roamkey::home {

// A KEK shared with one partner: Key-Wrap-Key-Id and the file holding it.
struct KekConfig {
  std::string id;
  std::filesystem::path key_file;

  bool operator==(const KekConfig&) const = default;
};

struct RoamingPartner {
  std::string realm;                            // lower-case
  std::vector<std::string> peers;               // Diameter identities, lower-case
  std::optional<DelegationPolicy> policy = {};  // nullopt: the top-level delegation policy
  std::vector<KekConfig> keks = {};
  std::string wrap_with = {};  // a KEK id of `keks`; empty: TSK-Key in clear (TLS only)

  bool operator==(const RoamingPartner&) const = default;
};

class RoamingPartners {
 public:
  RoamingPartners() = default;
  // Lower-cases realms and peers; std::invalid_argument on a realm listed
  // twice, an empty realm, a partner without peers, a KEK id listed twice
  // for one partner or a wrap_with that names no KEK of the partner.
  explicit RoamingPartners(std::vector<RoamingPartner> partners);

  const RoamingPartner* find(std::string_view realm) const;
  bool is_partner(std::string_view realm) const { return find(realm) != nullptr; }
  // Whether `origin_host` is one of the peers listed for `realm`.
  bool speaks_for(std::string_view realm, std::string_view origin_host) const;
  const std::vector<RoamingPartner>& all() const { return partners_; }

 private:
  std::vector<RoamingPartner> partners_;
};

}  // namespace roamkey::home
