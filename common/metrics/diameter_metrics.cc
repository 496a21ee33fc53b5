#include "metrics/diameter_metrics.h"

#include "diameter/stack.h"

namespace roamkey::metrics {

// One command's series. The per-result-code counters are created on first
// use: the codes a daemon sees are few, but not known in advance.
struct DiameterMetrics::Command {
  std::uint32_t code = 0;
  std::string label;
  prometheus::Counter* received = nullptr;
  prometheus::Counter* sent = nullptr;
  prometheus::Counter* timed_out = nullptr;
  prometheus::Counter* not_sent = nullptr;
  std::mutex mutex;
  std::map<std::uint32_t, prometheus::Counter*> answered;  // by our result code
  std::map<std::uint32_t, prometheus::Counter*> answers;   // by the peer's result code

  prometheus::Counter& by_code(std::map<std::uint32_t, prometheus::Counter*>& map,
                               prometheus::Family<prometheus::Counter>& family, std::uint32_t result_code) {
    std::lock_guard lock(mutex);
    auto& c = map[result_code];
    if (c == nullptr) c = &family.Add({{"command", label}, {"result_code", std::to_string(result_code)}});
    return *c;
  }
};

DiameterMetrics::DiameterMetrics(Registry& registry, std::vector<std::pair<std::uint32_t, std::string>> commands)
    : registry_(registry),
      received_(prometheus::BuildCounter()
                    .Name("roamkey_diameter_requests_received_total")
                    .Help("Diameter requests received for this daemon's handlers, per command")
                    .Register(registry.prometheus())),
      answered_(prometheus::BuildCounter()
                    .Name("roamkey_diameter_answers_sent_total")
                    .Help("Diameter answers this daemon sent, per command and Result-Code (or "
                          "Experimental-Result-Code)")
                    .Register(registry.prometheus())),
      sent_(prometheus::BuildCounter()
                .Name("roamkey_diameter_requests_sent_total")
                .Help("Diameter requests this daemon sent, per command")
                .Register(registry.prometheus())),
      answers_(prometheus::BuildCounter()
                   .Name("roamkey_diameter_answers_received_total")
                   .Help("Diameter answers received to this daemon's requests, per command and Result-Code")
                   .Register(registry.prometheus())),
      unanswered_(prometheus::BuildCounter()
                      .Name("roamkey_diameter_requests_unanswered_total")
                      .Help("Requests this daemon sent that got no answer: timed out, or could not be sent (no "
                            "route, peer down, shutting down)")
                      .Register(registry.prometheus())) {
  commands.emplace_back(0, "other");
  for (auto& [code, label] : commands) {
    auto c = std::make_unique<Command>();
    c->code = code;
    c->label = label;
    c->received = &received_.Add({{"command", label}});
    c->sent = &sent_.Add({{"command", label}});
    c->timed_out = &unanswered_.Add({{"command", label}, {"reason", "timeout"}});
    c->not_sent = &unanswered_.Add({{"command", label}, {"reason", "not_sent"}});
    commands_.push_back(std::move(c));
  }
}

DiameterMetrics::~DiameterMetrics() = default;

DiameterMetrics::Command& DiameterMetrics::command(std::uint32_t code) {
  for (std::size_t i = 0; i + 1 < commands_.size(); ++i)
    if (commands_[i]->code == code) return *commands_[i];
  return *commands_.back();
}

void DiameterMetrics::request_received(std::uint32_t command_code) {
  command(command_code).received->Increment();
}

void DiameterMetrics::answer_sent(std::uint32_t command_code, std::uint32_t result_code, bool) {
  auto& c = command(command_code);
  c.by_code(c.answered, answered_, result_code).Increment();
}

void DiameterMetrics::request_sent(std::uint32_t command_code) {
  command(command_code).sent->Increment();
}

void DiameterMetrics::answer_received(std::uint32_t command_code, diameter::AnswerStatus status,
                                      std::uint32_t result_code, bool) {
  auto& c = command(command_code);
  switch (status) {
    case diameter::AnswerStatus::Answered: c.by_code(c.answers, answers_, result_code).Increment(); break;
    case diameter::AnswerStatus::TimedOut: c.timed_out->Increment(); break;
    case diameter::AnswerStatus::NotSent: c.not_sent->Increment(); break;
  }
}

void DiameterMetrics::watch_peers(const diameter::Stack& stack) {
  const auto* s = &stack;
  registry_.pull("roamkey_diameter_peer_up", "1 when the Diameter peer's connection is OPEN, else 0", Kind::Gauge, [s] {
    std::vector<Sample> out;
    for (const auto& p : s->peers()) out.push_back({{{"peer", p.identity}}, p.open ? 1.0 : 0.0});
    return out;
  });
  registry_.pull("roamkey_diameter_peer_state",
                 "The Diameter peer's state machine state (RFC 6733 sec. 5.6, freeDiameter's names): 1 for the "
                 "state it is in",
                 Kind::Gauge, [s] {
                   std::vector<Sample> out;
                   for (const auto& p : s->peers()) out.push_back({{{"peer", p.identity}, {"state", p.state}}, 1.0});
                   return out;
                 });
  registry_.pull(
      "roamkey_diameter_peer_state_since_seconds",
      "When the Diameter peer last went up or down, in seconds since the Unix epoch", Kind::Gauge, [s] {
        std::vector<Sample> out;
        for (const auto& p : s->peers())
          out.push_back({{{"peer", p.identity}}, std::chrono::duration<double>(p.since.time_since_epoch()).count()});
        return out;
      });
}

}  // namespace roamkey::metrics
