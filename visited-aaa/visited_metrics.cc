#include "visited_metrics.h"

namespace roamkey::visited {

using metrics::Kind;
using metrics::Sample;

void register_visited_metrics(metrics::Registry& registry, EapTskServer& server, std::size_t max_conversations,
                              const TskCache& cache, KeyUpdateOutbox& outbox, const KeyUpdateReporter& reporter) {
  server.set_duration_sink(&registry.histogram("roamkey_authentication_duration_seconds",
                                               "Whole EAP-TSK authentications, first DER to last DEA (accepted or "
                                               "rejected)",
                                               metrics::latency_buckets()));
  const auto* s = &server;
  registry.pull("roamkey_authentications_total", "EAP-TSK authentications by result and reason", Kind::Counter, [s] {
    const auto st = s->stats();
    std::vector<Sample> out{{{{"result", "success"}, {"reason", "authenticated"}}, double(st.accepted)}};
    for (std::size_t i = 0; i < kRejectReasons; ++i)
      out.push_back(
          {{{"result", "failure"}, {"reason", std::string(reject_reason_label(i))}}, double(st.rejected_by[i])});
    out.push_back({{{"result", "abandoned"}, {"reason", "home_timeout"}}, double(st.abandoned_waiting_home)});
    out.push_back(
        {{{"result", "abandoned"}, {"reason", "client_silent"}}, double(st.abandoned - st.abandoned_waiting_home)});
    out.push_back({{{"result", "refused"}, {"reason", "too_busy"}}, double(st.too_busy)});
    return out;
  });
  registry.pull("roamkey_eap_conversations", "EAP conversations in progress", Kind::Gauge,
                [s] { return double(s->conversations()); });
  registry.pull("roamkey_eap_conversations_capacity", "EAP conversations allowed at once (eap.max_conversations)",
                Kind::Gauge, [max_conversations] { return double(max_conversations); });

  const auto* c = &cache;
  registry.pull("roamkey_tsk_cache_entries", "Subscribers with a cached TSK vector", Kind::Gauge,
                [c] { return double(c->size()); });
  registry.pull("roamkey_tsk_cache_capacity", "Subscribers the TSK cache holds at most (cache.max_entries)",
                Kind::Gauge, [c] { return double(c->max_entries()); });
  registry.pull("roamkey_tsk_cache_hits_total", "Lookups that found a usable TSK vector", Kind::Counter,
                [c] { return double(c->stats().hits); });
  registry.pull("roamkey_tsk_cache_misses_total", "Lookups that found none and needed the home (DLR)", Kind::Counter,
                [c] { return double(c->stats().misses); });
  registry.pull("roamkey_tsk_cache_evictions_total", "Entries evicted to make room", Kind::Counter,
                [c] { return double(c->stats().evictions); });
  registry.pull("roamkey_tsk_cache_fetches_in_flight", "Subscribers waiting for a Delegation answer", Kind::Gauge,
                [c] { return double(c->stats().fetches_in_flight); });

  auto* o = &outbox;
  const auto* r = &reporter;
  registry.pull("roamkey_outbox_depth", "Requests to the home waiting for their answer (kept until answered)",
                Kind::Gauge, [o] {
                  return std::vector<Sample>{{{{"request", "KUR"}}, double(o->size())}};
                });
  registry.pull("roamkey_outbox_retries_total", "Attempts that failed and were scheduled again", Kind::Counter, [r] {
    return std::vector<Sample>{{{{"request", "KUR"}}, double(r->retries())}};
  });
}

}  // namespace roamkey::visited
