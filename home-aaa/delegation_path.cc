#include "delegation_path.h"

#include <spdlog/spdlog.h>

#include "apps/delegation.h"

namespace roamkey::home {

using apps::DelegationApp;
using diameter::AvpReader;
using diameter::Outcome;
using diameter::PendingRequest;

namespace {

void log_outcome(const char* what, const std::string& nai, const diameter::Message& m, const Outcome& o,
                 std::uint32_t generation = 0) {
  if (o.is_success()) {
    spdlog::info("{} nai={} from={} realm={}: 2001 generation={}", what, nai, m.origin_host(), m.origin_realm(),
                 generation);
  } else {
    spdlog::warn("{} nai={} from={} realm={}: {} {} ({})", what, nai, m.origin_host(), m.origin_realm(), o.code,
                 diameter::result_code_name(o.code, o.experimental), o.reason);
  }
}

}  // namespace

DelegationPath::DelegationPath(diameter::Stack& stack, const DelegationService& service) : service_(service) {
  const auto& app = DelegationApp::get();
  stack.on_request(app.dlr, [this](PendingRequest r) { on_delegation(std::move(r)); });
  stack.on_request(app.har, [this](PendingRequest r) { on_home_authentication(std::move(r)); });
}

std::optional<Outcome> DelegationPath::check_source(const diameter::Message& m) const {
  const auto source = m.source_peer();
  const auto realm = m.origin_realm();
  if (source.empty() || service_.partners().speaks_for(realm, source)) return std::nullopt;
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
  auto result = service_.delegate(d);
  log_outcome("DLR", d.nai, m, result.outcome, result.vector ? result.vector->generation : 0);
  request.answer(result.outcome, [&](auto& a) {
    app.answer_header(a);
    if (!result.vector) return;
    apps::TskVector v;
    v.rand = result.vector->rand;
    v.generation = result.vector->generation;
    v.lifetime = result.vector->lifetime;
    v.max_uses = result.vector->max_uses;
    v.tsk = std::move(result.vector->tsk);
    app.write_vector(a, v);
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

}  // namespace roamkey::home
