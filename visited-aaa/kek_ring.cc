#include "kek_ring.h"

#include "crypto/kdf.h"
#include "crypto/key_wrap.h"

namespace roamkey::visited {

std::shared_ptr<const KekRing::Map> KekRing::build(const std::vector<HomeRealmConfig>& realms) {
  auto keks = std::make_shared<Map>();
  for (const auto& r : realms)
    for (const auto& k : r.keks) keks->emplace(std::make_pair(crypto::lower_realm(r.realm), k.id), k.key);
  return keks;
}

KekRing::KekRing(const std::vector<HomeRealmConfig>& realms) : keks_(build(realms)) {}

void KekRing::replace(const std::vector<HomeRealmConfig>& realms) {
  keks_.store(build(realms));
}

KekRing::Unwrapped KekRing::unwrap(std::string_view home_realm, std::string_view kek_id,
                                   crypto::ByteView wrapped) const {
  const auto keks = keks_.load();
  const auto it = keks->find(std::make_pair(crypto::lower_realm(home_realm), std::string(kek_id)));
  if (it == keks->end())
    return {std::nullopt, "no KEK \"" + std::string(kek_id) + "\" is configured for realm " + std::string(home_realm)};
  auto tsk = crypto::aes_key_unwrap(it->second.view(), wrapped);
  if (!tsk) return {std::nullopt, "Wrapped-TSK-Key does not unwrap under KEK \"" + std::string(kek_id) + "\""};
  return {std::move(tsk), {}};
}

}  // namespace roamkey::visited
