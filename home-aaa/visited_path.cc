#include "visited_path.h"

#include "apps/delegation.h"
#include "delegation_path.h"

namespace roamkey::home {

using apps::DelegationApp;

DiameterVisitedLink::DiameterVisitedLink(diameter::Stack& stack, std::chrono::milliseconds timeout)
    : stack_(stack), timeout_(timeout) {}

LinkResult DiameterVisitedLink::classify(const diameter::Answer& a) {
  LinkResult r{LinkStatus::Unreachable, a.describe()};
  if (a.status != diameter::AnswerStatus::Answered) return r;
  if (a.result.is_success()) {
    r.status = LinkStatus::Success;
  } else if (a.result.experimental &&
             a.result.code == static_cast<std::uint32_t>(diameter::ExperimentalCode::UserUnknown)) {
    // sec. 3: KPA 5401, the visited host holds no delegation for that NAI.
    r.status = LinkStatus::NoDelegation;
  } else if (!a.result.experimental && a.result.code >= 3000 && a.result.code < 4000) {
    // RFC 6733 sec. 7.1.3 protocol errors: 3002 unable to deliver (the
    // visited host is not connected), 3004 too busy ... another try may work.
    r.status = LinkStatus::Unreachable;
  } else {
    r.status = LinkStatus::Refused;
  }
  return r;
}

void DiameterVisitedLink::push_key(KeyPushMessage message, LinkCallback done) {
  const auto& app = DelegationApp::get();
  auto kpr = app.request(app.kpr, message.visited_realm, message.visited_host);
  auto avps = kpr.avps();
  avps.add(app.user_name, message.user_name);
  app.write_vector(avps, to_tsk_vector(std::move(message.vector)));
  stack_.send(std::move(kpr), timeout_, [done = std::move(done)](diameter::Answer a) { done(classify(a)); });
}

void DiameterVisitedLink::revoke(RevocationMessage message, LinkCallback done) {
  const auto& app = DelegationApp::get();
  auto drr = app.request(app.drr, message.visited_realm, message.visited_host);
  auto avps = drr.avps();
  avps.add(app.user_name, message.user_name);
  avps.add(app.revocation_cause, static_cast<std::int32_t>(message.cause));
  if (message.generation) avps.add(app.key_generation, *message.generation);
  stack_.send(std::move(drr), timeout_, [done = std::move(done)](diameter::Answer a) { done(classify(a)); });
}

}  // namespace roamkey::home
