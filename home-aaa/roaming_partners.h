#pragma once
// The visited realms this home domain delegates to, and which Diameter
// identities may speak for each (protocol.md sec. 3: a DLR is accepted only
// from a realm listed as a roaming partner). Realms and identities are
// compared without regard to ASCII case.

#include <string>
#include <string_view>
#include <vector>

namespace roamkey::home {

struct RoamingPartner {
  std::string realm;               // lower-case
  std::vector<std::string> peers;  // Diameter identities, lower-case
};

class RoamingPartners {
 public:
  RoamingPartners() = default;
  // Lower-cases realms and peers; std::invalid_argument on a realm listed
  // twice, an empty realm or a partner without peers.
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
