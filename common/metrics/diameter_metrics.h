#pragma once
// The Diameter layer's metrics: requests and answers per command and result
// code in both directions (the Stack's TrafficObserver), and each peer's
// state, read at scrape time.
//
//   roamkey_diameter_requests_received_total{command}
//   roamkey_diameter_answers_sent_total{command,result_code}
//   roamkey_diameter_requests_sent_total{command}
//   roamkey_diameter_answers_received_total{command,result_code}
//   roamkey_diameter_requests_unanswered_total{command,reason="timeout"|"not_sent"}
//   roamkey_diameter_peer_up{peer}                   1 when the peer is OPEN
//   roamkey_diameter_peer_state{peer,state}          1 for the state it is in
//   roamkey_diameter_peer_state_since_seconds{peer}  when it last went up or down
//
// `command` is the abbreviation of the request (DER, DLR, HAR, KPR, KUR,
// DRR; protocol.md sec. 3), the same label for its answer.

#include <prometheus/counter.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "diameter/traffic_observer.h"
#include "metrics/registry.h"

namespace roamkey::diameter {
class Stack;
}

namespace roamkey::metrics {

class DiameterMetrics final : public diameter::TrafficObserver {
 public:
  // `commands`: command code and its label, for every command the daemon
  // handles or sends; traffic of any other code counts as "other".
  DiameterMetrics(Registry& registry, std::vector<std::pair<std::uint32_t, std::string>> commands);
  ~DiameterMetrics() override;

  // Adds the peer families, read from `stack` at each scrape.
  void watch_peers(const diameter::Stack& stack);

  void request_received(std::uint32_t command_code) override;
  void answer_sent(std::uint32_t command_code, std::uint32_t result_code, bool experimental) override;
  void request_sent(std::uint32_t command_code) override;
  void answer_received(std::uint32_t command_code, diameter::AnswerStatus status, std::uint32_t result_code,
                       bool experimental) override;

 private:
  struct Command;
  Command& command(std::uint32_t code);

  Registry& registry_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& answered_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Counter>& answers_;
  prometheus::Family<prometheus::Counter>& unanswered_;
  std::vector<std::unique_ptr<Command>> commands_;  // fixed after construction; the last is "other"
};

}  // namespace roamkey::metrics
