#include "delegation_service.h"

#include <exception>

#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "crypto/key_wrap.h"
#include "nai.h"

namespace roamkey::home {

namespace {

using diameter::ExperimentalCode;
using diameter::Outcome;
using diameter::ResultCode;

// protocol.md sec. 2 and the AVP table of sec. 3.
constexpr std::size_t kHostChallengeLength = 16;
constexpr std::size_t kMnAuthLength = 32;

// Store and RNG failures are the home's problem, not the peer's: 5012
// (RFC 6733 sec. 7.1.5) with the reason for the daemon's log. StoreError
// messages carry no key material.
Outcome internal_failure(const std::exception& e) {
  return Outcome::base(ResultCode::UnableToComply, std::string("home internal error: ") + e.what());
}

}  // namespace

Timestamp system_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string_view to_string(RotationStatus s) {
  switch (s) {
    case RotationStatus::Rotated: return "rotated";
    case RotationStatus::UnknownSubscriber: return "unknown subscriber";
    case RotationStatus::NoActiveDelegation: return "no active delegation";
    case RotationStatus::NotAllowed: return "not allowed";
    case RotationStatus::Changed: return "delegation changed";
    case RotationStatus::Failed: return "failed";
  }
  return "unknown";
}

DelegationService::DelegationService(SubscriberStore& store, DelegationStore& delegations, DelegationPolicy policy,
                                     RoamingPartners partners, crypto::RandomSource& random, Clock clock,
                                     WrapKeys wrap_keys)
    : store_(store),
      delegations_(delegations),
      random_(random),
      clock_(std::move(clock)),
      settings_(std::make_shared<const Settings>(Settings{policy, std::move(partners), std::move(wrap_keys)})) {}

void DelegationService::reconfigure(DelegationPolicy policy, RoamingPartners partners, WrapKeys wrap_keys) {
  settings_.store(std::make_shared<const Settings>(Settings{policy, std::move(partners), std::move(wrap_keys)}));
}

const DelegationPolicy& DelegationService::Settings::policy_for(std::string_view realm) const {
  const auto* partner = partners.find(realm);
  return partner != nullptr && partner->policy ? *partner->policy : policy;
}

DelegationPolicy DelegationService::policy_for(std::string_view realm) const {
  return settings_.load()->policy_for(realm);
}

bool DelegationService::speaks_for(std::string_view realm, std::string_view host) const {
  return settings_.load()->partners.speaks_for(realm, host);
}

IssuedVector DelegationService::make_vector(const Settings& settings, const crypto::SecretBytes& k, crypto::Bytes rand,
                                            std::string_view realm, std::uint32_t generation, std::uint32_t lifetime,
                                            std::optional<std::uint32_t> max_uses) const {
  IssuedVector v;
  auto tsk = crypto::derive_tsk(k.view(), rand, realm, generation);
  // sec. 2: end-to-end protection across relays, under the KEK agreed with
  // that visited realm; the clear TSK then never leaves this process.
  if (const auto* wrap = settings.wrap_keys.for_realm(realm)) {
    v.wrapped_tsk = crypto::aes_key_wrap(wrap->kek.view(), tsk.view());
    v.key_wrap_key_id = wrap->id;
  } else {
    v.tsk = std::move(tsk);
  }
  v.rand = std::move(rand);
  v.generation = generation;
  v.lifetime = lifetime;
  v.max_uses = max_uses;
  return v;
}

std::optional<Outcome> DelegationService::check_partner(const Settings& settings, const std::string& realm,
                                                        const std::string& host) {
  if (!settings.partners.is_partner(realm))
    return Outcome::app(ExperimentalCode::RoamingNotAllowed, "realm " + realm + " is not a roaming partner");
  if (!settings.partners.speaks_for(realm, host))
    return Outcome::app(ExperimentalCode::RoamingNotAllowed,
                        "origin host " + host + " is not a listed peer of roaming partner " + realm);
  return std::nullopt;
}

DelegationResult DelegationService::delegate(const DelegationRequest& r) const {
  const auto settings = settings_.load();  // one configuration for the whole request
  if (auto refused = check_partner(*settings, r.origin_realm, r.origin_host))
    return {std::move(*refused), std::nullopt};
  try {
    auto found = store_.get_with_key(r.nai);
    if (!found) return {Outcome::app(ExperimentalCode::UserUnknown, "no subscriber " + r.nai), std::nullopt};
    const auto& sub = found->subscriber;
    if (sub.status == SubscriberStatus::Barred)
      return {Outcome::app(ExperimentalCode::SubscriberBarred, "subscriber " + r.nai + " is barred"), std::nullopt};
    if (!sub.roaming.allows(r.origin_realm))
      return {Outcome::app(ExperimentalCode::RoamingNotAllowed,
                           "subscriber " + r.nai + " may not roam to " + lower_ascii(r.origin_realm)),
              std::nullopt};

    const auto& policy = settings->policy_for(r.origin_realm);
    auto rand = crypto::random_bytes(random_, kRandLength);
    const IssueRequest issue{r.nai, r.origin_realm, r.origin_host, rand, policy.tsk_lifetime, clock_(), r.nai};
    auto issued = delegations_.record_delegation(issue);
    if (!issued)  // removed between the two calls
      return {Outcome::app(ExperimentalCode::UserUnknown, "no subscriber " + r.nai), std::nullopt};

    DelegationResult result{Outcome::ok(), make_vector(*settings, found->k, std::move(rand), r.origin_realm,
                                                       issued->generation, policy.tsk_lifetime, policy.tsk_max_uses)};
    result.revoked = std::move(issued->revoked);
    result.revocations_queued = issued->revocations_queued;
    return result;
  } catch (const std::exception& e) {
    return {internal_failure(e), std::nullopt};
  }
}

HomeAuthResult DelegationService::authenticate_home(const HomeAuthRequest& r) const {
  if (r.rand.size() != kRandLength)
    return {Outcome::base(ResultCode::InvalidAvpValue, "TSK-RAND must be 16 bytes"), std::nullopt};
  if (r.host_challenge.size() != kHostChallengeLength)
    return {Outcome::base(ResultCode::InvalidAvpValue, "Host-Challenge must be 16 bytes"), std::nullopt};
  if (r.mn_auth.size() != kMnAuthLength)
    return {Outcome::base(ResultCode::InvalidAvpValue, "MN-Auth-Data must be 32 bytes"), std::nullopt};
  if (auto refused = check_partner(*settings_.load(), r.origin_realm, r.origin_host))
    return {std::move(*refused), std::nullopt};
  try {
    auto found = store_.get_with_key(r.nai);
    if (!found) return {Outcome::app(ExperimentalCode::UserUnknown, "no subscriber " + r.nai), std::nullopt};
    if (found->subscriber.status == SubscriberStatus::Barred)
      return {Outcome::app(ExperimentalCode::SubscriberBarred, "subscriber " + r.nai + " is barred"), std::nullopt};

    const auto generation = std::to_string(r.generation);
    const auto issued = store_.find_issued(r.nai, r.generation);
    if (!issued)
      return {Outcome::app(ExperimentalCode::UnknownKeyGeneration,
                           "generation " + generation + " of " + r.nai + " was never issued"),
              std::nullopt};
    if (!same_realm(issued->visited_realm, r.origin_realm))
      return {Outcome::app(ExperimentalCode::UnknownKeyGeneration,
                           "generation " + generation + " of " + r.nai + " was issued to another realm"),
              std::nullopt};
    if (issued->rand != r.rand)  // RAND is public: no need for a constant-time comparison
      return {Outcome::app(ExperimentalCode::UnknownKeyGeneration,
                           "generation " + generation + " of " + r.nai + " was issued with another RAND"),
              std::nullopt};

    const auto& k = found->k;
    const auto tsk = crypto::derive_tsk(k.view(), r.rand, r.origin_realm, r.generation);
    const auto expected = crypto::mn_auth(tsk.view(), r.host_challenge, r.nai);
    if (!crypto::constant_time_equal(expected, r.mn_auth))
      return {Outcome::app(ExperimentalCode::MnAuthFailed, "MN-Auth-Data of " + r.nai + " does not verify"),
              std::nullopt};
    return {Outcome::ok(), crypto::home_auth(k.view(), r.host_challenge, r.origin_realm, r.mn_auth)};
  } catch (const std::exception& e) {
    return {internal_failure(e), std::nullopt};
  }
}

KeyUpdateResult DelegationService::report_key_update(const KeyUpdateRequest& r) const {
  if (auto refused = check_partner(*settings_.load(), r.origin_realm, r.origin_host)) return {std::move(*refused)};
  try {
    const auto recorded =
        delegations_.record_key_update({r.nai, r.origin_realm, r.origin_host, r.generation, r.status, clock_()});
    const auto generation = std::to_string(r.generation);
    switch (recorded) {
      case KeyUpdateRecording::UnknownSubscriber:
        return {Outcome::app(ExperimentalCode::UserUnknown, "no subscriber " + r.nai)};
      case KeyUpdateRecording::UnknownGeneration:
        return {Outcome::app(
            ExperimentalCode::UnknownKeyGeneration,
            "generation " + generation + " of " + r.nai + " was not issued to " + lower_ascii(r.origin_realm))};
      case KeyUpdateRecording::Recorded: return {Outcome::ok(), false};
      case KeyUpdateRecording::Repeated: return {Outcome::ok(), true};
    }
    return {Outcome::base(ResultCode::UnableToComply, "home internal error: unexpected store answer")};
  } catch (const std::exception& e) {
    return {internal_failure(e)};
  }
}

RotationResult DelegationService::rotate(std::string_view nai) const {
  RotationResult out;
  out.nai = std::string(nai);
  const auto refuse = [&](RotationStatus status, std::string detail) {
    out.status = status;
    out.detail = std::move(detail);
    return out;
  };
  try {
    const auto sub = store_.get(nai);
    if (!sub) return refuse(RotationStatus::UnknownSubscriber, "no subscriber " + out.nai);
    const auto d = delegations_.delegation(nai);
    if (!d || !d->active()) return refuse(RotationStatus::NoActiveDelegation, "no active delegation");
    const auto now = clock_();
    // The visited host dropped the vector at its lifetime's end: it would
    // answer the KPR 5401.
    if (d->expires_at <= now)
      return refuse(RotationStatus::NoActiveDelegation, "the delegation to " + d->visited_host +
                                                            " expired (its generation " +
                                                            std::to_string(d->generation) + " reached its lifetime)");
    if (sub->status == SubscriberStatus::Barred) return refuse(RotationStatus::NotAllowed, "subscriber is barred");
    const auto settings = settings_.load();
    if (!settings->partners.is_partner(d->visited_realm))
      return refuse(RotationStatus::NotAllowed, d->visited_realm + " is no longer a roaming partner");
    if (!sub->roaming.allows(d->visited_realm))
      return refuse(RotationStatus::NotAllowed, "subscriber may no longer roam to " + d->visited_realm);

    const auto& policy = settings->policy_for(d->visited_realm);
    const auto rand = crypto::random_bytes(random_, kRandLength);
    auto push = delegations_.issue_rotation({nai, d->generation, rand, policy.tsk_lifetime, policy.tsk_max_uses, now});
    if (!push) return refuse(RotationStatus::Changed, "the delegation changed meanwhile; nothing issued");
    out.status = RotationStatus::Rotated;
    out.detail = "generation " + std::to_string(push->generation) + " queued for " + push->visited_host;
    out.push = std::move(push);
    return out;
  } catch (const std::exception& e) {
    return refuse(RotationStatus::Failed, std::string("home internal error: ") + e.what());
  }
}

std::vector<RotationResult> DelegationService::rotate_due(std::size_t limit) const {
  std::vector<RotationResult> out;
  const auto now = clock_();
  const auto settings = settings_.load();
  for (const auto& partner : settings->partners.all()) {
    const auto& policy = settings->policy_for(partner.realm);
    if (policy.rotation_interval == 0) continue;
    const auto due =
        delegations_.due_for_rotation(partner.realm, now - std::chrono::seconds(policy.rotation_interval), now, limit);
    for (const auto& d : due) out.push_back(rotate(d.nai));
  }
  return out;
}

std::vector<HandledRequest> DelegationService::handle_operator_requests(std::size_t limit) const {
  std::vector<HandledRequest> out;
  for (auto& request : delegations_.open_operator_requests(limit)) {
    RotationResult result;
    if (request.kind == "rotate") {
      result = rotate(request.nai);
    } else {
      result.nai = request.nai;
      result.detail = "unknown request kind " + request.kind;
    }
    const auto text = std::string(to_string(result.status)) + ": " + result.detail;
    delegations_.finish_operator_request(request.id, text, clock_());
    out.push_back({std::move(request), std::move(result)});
  }
  return out;
}

std::optional<IssuedVector> DelegationService::push_vector(const KeyPushRecord& push, std::string& why_not) const {
  auto found = store_.get_with_key(push.nai);
  if (!found) {
    why_not = "subscriber " + push.nai + " no longer exists";
    return std::nullopt;
  }
  return make_vector(*settings_.load(), found->k, push.rand, push.visited_realm, push.generation, push.lifetime,
                     push.max_uses);
}

}  // namespace roamkey::home
