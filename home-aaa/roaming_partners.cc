#include "roaming_partners.h"

#include <algorithm>
#include <stdexcept>

#include "nai.h"

namespace roamkey::home {

RoamingPartners::RoamingPartners(std::vector<RoamingPartner> partners) : partners_(std::move(partners)) {
  for (auto& p : partners_) {
    if (p.realm.empty()) throw std::invalid_argument("roaming partner with an empty realm");
    if (p.peers.empty()) throw std::invalid_argument("roaming partner " + p.realm + " has no peers");
    p.realm = lower_ascii(p.realm);
    for (auto& peer : p.peers) peer = lower_ascii(peer);
    for (std::size_t i = 0; i < p.keks.size(); ++i) {
      if (p.keks[i].id.empty()) throw std::invalid_argument("roaming partner " + p.realm + " has a KEK without id");
      for (std::size_t j = i + 1; j < p.keks.size(); ++j)
        if (p.keks[i].id == p.keks[j].id)
          throw std::invalid_argument("roaming partner " + p.realm + " lists KEK " + p.keks[i].id + " twice");
    }
    if (!p.wrap_with.empty() &&
        std::none_of(p.keks.begin(), p.keks.end(), [&](const KekConfig& k) { return k.id == p.wrap_with; }))
      throw std::invalid_argument("roaming partner " + p.realm + ": wrap_with " + p.wrap_with + " names no KEK");
  }
  for (std::size_t i = 0; i < partners_.size(); ++i)
    for (std::size_t j = i + 1; j < partners_.size(); ++j)
      if (partners_[i].realm == partners_[j].realm)
        throw std::invalid_argument("roaming partner " + partners_[i].realm + " listed twice");
}

const RoamingPartner* RoamingPartners::find(std::string_view realm) const {
  const auto it = std::find_if(partners_.begin(), partners_.end(),
                               [&](const RoamingPartner& p) { return same_realm(p.realm, realm); });
  return it == partners_.end() ? nullptr : &*it;
}

bool RoamingPartners::speaks_for(std::string_view realm, std::string_view origin_host) const {
  const auto* p = find(realm);
  return p != nullptr && std::any_of(p->peers.begin(), p->peers.end(),
                                     [&](const std::string& peer) { return same_realm(peer, origin_host); });
}

}  // namespace roamkey::home
