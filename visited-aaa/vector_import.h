#pragma once
// A TSK-Vector as received from a home domain (DLA, KPR; protocol.md sec. 3)
// turned into the form the TSK cache holds. Kept apart from the Diameter
// paths so that it can be tested without a Diameter stack.

#include <optional>
#include <string>

#include "apps/delegation.h"
#include "kek_ring.h"
#include "tsk_cache.h"

namespace roamkey::visited {

// Unwraps a Wrapped-TSK-Key with the KEK its Key-Wrap-Key-Id names among those
// of `home_realm` (protocol.md sec. 2). nullopt and `failure` set (fit for a
// log line, never key material) when it cannot.
std::optional<DelegatedVector> to_cache_vector(apps::TskVector wire, const std::string& home_realm, const KekRing& keks,
                                               std::string& failure);

}  // namespace roamkey::visited
