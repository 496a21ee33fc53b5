#include "home_requests_path.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "apps/delegation.h"
#include "crypto/kdf.h"
#include "log/log_event.h"
#include "log/logged_nai.h"
#include "vector_import.h"

namespace roamkey::visited {

using apps::DelegationApp;
using diameter::ExperimentalCode;
using diameter::Outcome;
using diameter::ResultCode;

HomeRequestPath::HomeRequestPath(diameter::Stack& stack, TskCache& cache, const KekRing& keks, EapTskServer& server)
    : stack_(stack), cache_(cache), keks_(keks), server_(server) {
  const auto& app = DelegationApp::get();
  // sec. 3: a repeated KPR/DRR gets the first answer and changes nothing.
  const diameter::RequestOptions once{.detect_duplicates = true};
  stack.on_request(
      app.kpr, [this](diameter::PendingRequest r) { on_key_push(std::move(r)); }, once);
  stack.on_request(
      app.drr, [this](diameter::PendingRequest r) { on_revoke(std::move(r)); }, once);
}

bool HomeRequestPath::from_home_peer(const diameter::Message& m) const {
  return stack_.dials(m.source_peer());
}

void HomeRequestPath::on_key_push(diameter::PendingRequest request) {
  const auto& app = DelegationApp::get();
  const auto& m = request.request();
  const auto header = [&](auto& a) { app.answer_header(a); };
  if (!from_home_peer(m)) {
    spdlog::warn("KPR from {} refused: not a home peer", m.source_peer());
    request.answer(Outcome::base(ResultCode::UnknownPeer, "only a home domain may push keys"));
    return;
  }
  diameter::AvpReader avps(m);
  const auto nai = avps.utf8(app.user_name);
  auto wire = app.read_vector(avps);
  if (!avps.ok() || !wire) {
    request.answer(avps.failure(), header);
    return;
  }
  const auto realm = crypto::lower_realm(m.origin_realm());
  std::string failure;
  auto vector = to_cache_vector(std::move(*wire), realm, keks_, failure);
  const std::string peer = m.origin_host();
  if (!vector) {
    const log::EventScope event{{"KPR", peer, static_cast<std::uint32_t>(ResultCode::InvalidAvpValue), nai}};
    spdlog::warn("KPR nai={} from realm {} refused: {}", log::nai(nai), realm, failure);
    request.answer(Outcome::base(ResultCode::InvalidAvpValue, failure), header);
    return;
  }
  const auto generation = vector->generation;
  const auto stored = cache_.set_pending(nai, *vector, Clock::now());
  Outcome outcome = Outcome::ok();
  switch (stored) {
    case StoreResult::kStored: break;
    case StoreResult::kNoDelegation:
      outcome = Outcome::app(ExperimentalCode::UserUnknown, "no delegation for this NAI here");
      break;
    case StoreResult::kRealmMismatch:
      outcome = Outcome::app(ExperimentalCode::RoamingNotAllowed, "the delegation here is from another realm");
      break;
    case StoreResult::kStale:
      outcome = Outcome::base(ResultCode::InvalidAvpValue, "Key-Generation is not newer than the one held");
      break;
    case StoreResult::kInvalid: outcome = Outcome::base(ResultCode::InvalidAvpValue, "unusable TSK-Vector"); break;
  }
  const log::EventScope event{{"KPR", peer, outcome.code, nai}};
  if (outcome.is_success())
    spdlog::info("KPR nai={} generation={} from realm {}: pending until the next authentication", log::nai(nai),
                 generation, realm);
  else
    spdlog::warn("KPR nai={} generation={} from realm {}: {} ({})", log::nai(nai), generation, realm, outcome.code,
                 outcome.reason);
  request.answer(outcome, header);
}

void HomeRequestPath::on_revoke(diameter::PendingRequest request) {
  const auto& app = DelegationApp::get();
  const auto& m = request.request();
  if (!from_home_peer(m)) {
    spdlog::warn("DRR from {} refused: not a home peer", m.source_peer());
    request.answer(Outcome::base(ResultCode::UnknownPeer, "only a home domain may revoke"));
    return;
  }
  diameter::AvpReader avps(m);
  const auto nai = avps.utf8(app.user_name);
  const auto cause = avps.i32(app.revocation_cause);
  const auto generation = avps.optional_u32(app.key_generation);
  if (!avps.ok()) {
    request.answer(avps.failure(), [&](auto& a) { app.answer_header(a); });
    return;
  }
  const auto realm = crypto::lower_realm(m.origin_realm());
  // A home revokes only what it delegated; without Key-Generation, all of it.
  const bool dropped = cache_.invalidate(nai, generation.value_or(std::numeric_limits<std::uint32_t>::max()), realm);
  server_.revoke(nai);
  const std::string peer = m.origin_host();
  const log::EventScope event{{"DRR", peer, static_cast<std::uint32_t>(ResultCode::Success), nai}};
  spdlog::warn("DRR nai={} from realm {} cause={} generation={}: {} vector; conversations in progress fail",
               log::nai(nai), realm, cause, generation ? std::to_string(*generation) : std::string("all"),
               dropped ? "dropped the" : "held no");
  request.answer(Outcome::ok(), [&](auto& a) { app.answer_header(a); });
}

}  // namespace roamkey::visited
