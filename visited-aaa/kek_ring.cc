#include "kek_ring.h"

#include "crypto/kdf.h"
#include "crypto/key_wrap.h"

namespace roamkey::visited {

KekRing::KekRing(const std::vector<HomeRealmConfig>& realms) {
  for (const auto& r : realms)
    for (const auto& k : r.keks) keks_.emplace(std::make_pair(crypto::lower_realm(r.realm), k.id), k.key);
}

KekRing::Unwrapped KekRing::unwrap(std::string_view home_realm, std::string_view kek_id,
                                   crypto::ByteView wrapped) const {
  const auto it = keks_.find(std::make_pair(crypto::lower_realm(home_realm), std::string(kek_id)));
  if (it == keks_.end())
    return {std::nullopt, "no KEK \"" + std::string(kek_id) + "\" is configured for realm " + std::string(home_realm)};
  auto tsk = crypto::aes_key_unwrap(it->second.view(), wrapped);
  if (!tsk) return {std::nullopt, "Wrapped-TSK-Key does not unwrap under KEK \"" + std::string(kek_id) + "\""};
  return {std::move(tsk), {}};
}

}  // namespace roamkey::visited
