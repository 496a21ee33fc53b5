#include "vector_import.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

namespace roamkey::visited {

std::optional<DelegatedVector> to_cache_vector(apps::TskVector wire, const std::string& home_realm, const KekRing& keks,
                                               std::string& failure) {
  DelegatedVector v;
  // TSK-RAND is 16 bytes (sec. 3); a shorter one must not be zero-padded
  // into a RAND the mobile would never derive the TSK from.
  if (wire.rand.size() != v.rand.size()) {
    failure = "TSK-RAND is " + std::to_string(wire.rand.size()) + " bytes, not " + std::to_string(v.rand.size());
    return std::nullopt;
  }
  if (wire.wrapped_tsk) {
    auto unwrapped = keks.unwrap(home_realm, wire.key_wrap_key_id, *wire.wrapped_tsk);
    if (!unwrapped.tsk) {
      failure = unwrapped.failure;
      return std::nullopt;
    }
    v.tsk = std::move(*unwrapped.tsk);
  } else {
    v.tsk = std::move(wire.tsk);
  }
  std::copy(wire.rand.begin(), wire.rand.end(), v.rand.begin());
  v.generation = wire.generation;
  v.lifetime = std::chrono::seconds(wire.lifetime);
  v.max_uses = wire.max_uses;
  v.home_realm = home_realm;
  return v;
}

}  // namespace roamkey::visited
