#include "delegation_service.h"

#include <exception>

#include "crypto/hmac.h"
#include "crypto/kdf.h"
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

Timestamp system_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

DelegationService::DelegationService(SubscriberStore& store, DelegationPolicy policy, RoamingPartners partners,
                                     crypto::RandomSource& random, Clock clock)
    : store_(store), policy_(policy), partners_(std::move(partners)), random_(random), clock_(std::move(clock)) {}

std::optional<Outcome> DelegationService::check_partner(const std::string& realm, const std::string& host) const {
  if (!partners_.is_partner(realm))
    return Outcome::app(ExperimentalCode::RoamingNotAllowed, "realm " + realm + " is not a roaming partner");
  if (!partners_.speaks_for(realm, host))
    return Outcome::app(ExperimentalCode::RoamingNotAllowed,
                        "origin host " + host + " is not a listed peer of roaming partner " + realm);
  return std::nullopt;
}

DelegationResult DelegationService::delegate(const DelegationRequest& r) const {
  if (auto refused = check_partner(r.origin_realm, r.origin_host)) return {std::move(*refused), std::nullopt};
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

    auto rand = crypto::random_bytes(random_, kRandLength);
    const auto generation = store_.issue_vector(
        {r.nai, r.origin_realm, r.origin_host, rand, policy_.tsk_lifetime, clock_()});
    if (!generation)  // removed between the two calls
      return {Outcome::app(ExperimentalCode::UserUnknown, "no subscriber " + r.nai), std::nullopt};

    IssuedVector v;
    v.tsk = crypto::derive_tsk(found->k.view(), rand, r.origin_realm, *generation);
    v.rand = std::move(rand);
    v.generation = *generation;
    v.lifetime = policy_.tsk_lifetime;
    v.max_uses = policy_.tsk_max_uses;
    return {Outcome::ok(), std::move(v)};
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
  if (auto refused = check_partner(r.origin_realm, r.origin_host)) return {std::move(*refused), std::nullopt};
  try {
    auto found = store_.get_with_key(r.nai);
    if (!found) return {Outcome::app(ExperimentalCode::UserUnknown, "no subscriber " + r.nai), std::nullopt};
    if (found->subscriber.status == SubscriberStatus::Barred)
      return {Outcome::app(ExperimentalCode::SubscriberBarred, "subscriber " + r.nai + " is barred"), std::nullopt};

    const auto generation = std::to_string(r.generation);
    const auto issued = store_.find_issued(r.nai, r.generation);
    if (!issued)
      return {Outcome::app(ExperimentalCode::UnknownKeyGeneration, "generation " + generation + " of " + r.nai +
                                                                       " was never issued"),
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

}  // namespace roamkey::home
