#include "delegation_path.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "apps/delegation.h"
#include "log/log_event.h"
#include "log/logged_nai.h"

namespace roamkey::home {

using apps::DelegationApp;
using diameter::AvpReader;
using diameter::Outcome;
using diameter::PendingRequest;

namespace {

// Successes at debug: at thousands of DLRs a second an info line each would
// cost more than the DLR (the store keeps every generation issued, and the
// daemon logs a summary each minute); refusals stay at warn.
void log_outcome(const char* what, const std::string& nai, const diameter::Message& m, const Outcome& o,
                 std::uint32_t generation = 0) {
  if (!spdlog::should_log(o.is_success() ? spdlog::level::debug : spdlog::level::warn)) return;
  const std::string host = m.origin_host();
  const log::EventScope event{{what, host, o.code, nai}};
  if (o.is_success()) {
    spdlog::debug("{} nai={} from={} realm={}: 2001 generation={}", what, log::nai(nai), m.origin_host(),
                  m.origin_realm(), generation);
  } else {
    spdlog::warn("{} nai={} from={} realm={}: {} {} ({})", what, log::nai(nai), m.origin_host(), m.origin_realm(),
                 o.code, diameter::result_code_name(o.code, o.experimental), o.reason);
  }
}

}  // namespace

apps::TskVector to_tsk_vector(IssuedVector v) {
  apps::TskVector out;
  out.rand = std::move(v.rand);
  out.generation = v.generation;
  out.lifetime = v.lifetime;
  out.max_uses = v.max_uses;
  out.tsk = std::move(v.tsk);
  out.wrapped_tsk = std::move(v.wrapped_tsk);
  out.key_wrap_key_id = std::move(v.key_wrap_key_id);
  return out;
}

DelegationPath::DelegationPath(diameter::Stack& stack, const DelegationService& service, DelegationQueue& queue,
                               std::function<void()> revocations_queued)
    : service_(service), queue_(queue), revocations_queued_(std::move(revocations_queued)) {
  const auto& app = DelegationApp::get();
  // protocol.md sec. 3: a repeated (Origin-Host, End-to-End-Identifier)
  // gets the first answer again and changes no state; a retried DLR must
  // never cost a second key generation. KUR is also idempotent by itself
  // (recorded once per generation and status), whatever its identifiers.
  diameter::RequestOptions once;
  once.detect_duplicates = true;
  stack.on_request(
      app.dlr, [this](PendingRequest r) { on_delegation(std::move(r)); }, once);
  stack.on_request(
      app.har, [this](PendingRequest r) { on_home_authentication(std::move(r)); }, once);
  stack.on_request(
      app.kur, [this](PendingRequest r) { on_key_update_report(std::move(r)); }, once);
}

std::optional<Outcome> DelegationPath::check_source(const diameter::Message& m) const {
  const auto source = m.source_peer();
  const auto realm = m.origin_realm();
  if (source.empty() || service_.speaks_for(realm, source)) return std::nullopt;
  return Outcome::app(diameter::ExperimentalCode::RoamingNotAllowed,
                      "peer " + source + " may not speak for realm " + realm);
}

void DelegationPath::on_delegation(PendingRequest request) const {
  const auto& app = DelegationApp::get();
  const auto& m = request.request();
  AvpReader avps(m);
  DelegationRequest d{avps.utf8(app.user_name), m.origin_host(), m.origin_realm()};
  if (!avps.ok()) {
    log_outcome("DLR", d.nai, m, avps.failure());
    request.answer(avps.failure(), [&](auto& a) { app.answer_header(a); });
    return;
  }
  if (auto refused = check_source(m)) {
    log_outcome("DLR", d.nai, m, *refused);
    request.answer(*refused, [&](auto& a) { app.answer_header(a); });
    return;
  }
  // The DLA may leave only once its generation is committed: the queue
  // answers after its batch's commit, on its writer thread.
  auto pending = std::make_shared<PendingRequest>(std::move(request));
  const auto nai = d.nai;
  queue_.submit(std::move(d), [this, pending, nai](DelegationResult result) {
    const auto& dlr = pending->request();
    log_outcome("DLR", nai, dlr, result.outcome, result.vector ? result.vector->generation : 0);
    if (result.revoked) {
      spdlog::info("DLR nai={}: delegation to {} ({}) revoked (NEW_DELEGATION): DRR queued to {} host(s)",
                   log::nai(nai), result.revoked->visited_realm, result.revoked->visited_host,
                   result.revocations_queued);
    }
    try {
      pending->answer(result.outcome, [&](auto& a) {
        const auto& delegation = DelegationApp::get();
        delegation.answer_header(a);
        if (!result.vector) return;
        delegation.write_vector(a, to_tsk_vector(std::move(*result.vector)));
      });
    } catch (const std::exception& e) {
      spdlog::error("DLR nai={}: could not send the DLA: {}", log::nai(nai), e.what());
    }
    if (result.revocations_queued > 0 && revocations_queued_) revocations_queued_();
  });
}

void DelegationPath::on_home_authentication(PendingRequest request) const {
  const auto& app = DelegationApp::get();
  const auto& m = request.request();
  AvpReader avps(m);
  HomeAuthRequest h;
  h.nai = avps.utf8(app.user_name);
  h.origin_host = m.origin_host();
  h.origin_realm = m.origin_realm();
  h.rand = avps.octets(app.tsk_rand, apps::kRandLength);
  h.generation = avps.u32(app.key_generation);
  h.host_challenge = avps.octets(app.host_challenge, apps::kHostChallengeLength);
  h.mn_auth = avps.octets(app.mn_auth_data, apps::kAuthDataLength);
  if (!avps.ok()) {
    log_outcome("HAR", h.nai, m, avps.failure());
    request.answer(avps.failure(), [&](auto& a) { app.answer_header(a); });
    return;
  }
  if (auto refused = check_source(m)) {
    log_outcome("HAR", h.nai, m, *refused);
    request.answer(*refused, [&](auto& a) { app.answer_header(a); });
    return;
  }
  auto result = service_.authenticate_home(h);
  log_outcome("HAR", h.nai, m, result.outcome, h.generation);
  request.answer(result.outcome, [&](auto& a) {
    app.answer_header(a);
    if (result.home_auth) a.add(app.home_auth_data, crypto::ByteView(*result.home_auth));
  });
}

void DelegationPath::on_key_update_report(PendingRequest request) const {
  const auto& app = DelegationApp::get();
  const auto& m = request.request();
  AvpReader avps(m);
  KeyUpdateRequest k;
  k.nai = avps.utf8(app.user_name);
  k.origin_host = m.origin_host();
  k.origin_realm = m.origin_realm();
  k.generation = avps.u32(app.key_generation);
  const auto status = avps.i32(app.key_update_status);
  // sec. 3, Key-Update-Status: 0 UPDATED, 1 REJECTED_BY_MN, 2 ABANDONED.
  if (avps.ok() && (status < 0 || status > 2))
    avps.fail(diameter::ResultCode::InvalidAvpValue, "Key-Update-Status " + std::to_string(status) + " is not defined");
  k.status = static_cast<KeyUpdateStatus>(status);
  if (!avps.ok()) {
    log_outcome("KUR", k.nai, m, avps.failure());
    request.answer(avps.failure(), [&](auto& a) { app.answer_header(a); });
    return;
  }
  if (auto refused = check_source(m)) {
    log_outcome("KUR", k.nai, m, *refused);
    request.answer(*refused, [&](auto& a) { app.answer_header(a); });
    return;
  }
  const auto result = service_.report_key_update(k);
  if (result.outcome.is_success()) {
    const log::EventScope event{{"KUR", k.origin_host, result.outcome.code, k.nai}};
    spdlog::info("KUR nai={} from={} realm={}: generation={} {}{}", log::nai(k.nai), m.origin_host(), m.origin_realm(),
                 k.generation, to_string(k.status), result.repeated ? " (repeated report, already recorded)" : "");
  } else {
    log_outcome("KUR", k.nai, m, result.outcome, k.generation);
  }
  request.answer(result.outcome, [&](auto& a) { app.answer_header(a); });
}

}  // namespace roamkey::home
