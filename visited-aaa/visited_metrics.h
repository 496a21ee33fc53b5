#pragma once
// visited-aaa's own metrics (beside the Diameter ones of common/metrics),
// all read from the components at scrape time except the duration histogram:
//
//   roamkey_authentications_total{result,reason}
//       result: success | failure (reason: eaptsk failure, delegation_revoked,
//       protocol_state) | abandoned (reason: home_timeout, client_silent) |
//       refused (reason: too_busy)
//   roamkey_authentication_duration_seconds   first DER to last DEA
//   roamkey_tsk_cache_entries, roamkey_tsk_cache_capacity
//   roamkey_tsk_cache_hits_total, _misses_total, _evictions_total
//   roamkey_tsk_cache_fetches_in_flight       NAIs waiting for a DLA
//   roamkey_eap_conversations, roamkey_eap_conversations_capacity
//   roamkey_outbox_depth{request="KUR"}, roamkey_outbox_retries_total{request="KUR"}

#include "eap_tsk_server.h"
#include "key_update_outbox.h"
#include "key_update_path.h"
#include "metrics/registry.h"
#include "tsk_cache.h"

namespace roamkey::visited {

void register_visited_metrics(metrics::Registry& registry, EapTskServer& server, std::size_t max_conversations,
                              const TskCache& cache, KeyUpdateOutbox& outbox, const KeyUpdateReporter& reporter);

}  // namespace roamkey::visited
