#pragma once
// The home domain's side of the Delegation application (protocol.md sec. 3),
// free of Diameter I/O: the daemon decodes DLR and HAR into the requests
// below and encodes the results into DLA and HAA.
//
// Safe to call from several Diameter dispatch threads at once: the service
// holds no mutable state of its own; the store and the random source are
// thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "diameter/result_code.h"
#include "roaming_partners.h"
#include "subscriber_store.h"

namespace roamkey::home {

struct DelegationPolicy {
  std::uint32_t tsk_lifetime = 3600;          // TSK-Lifetime, seconds
  std::optional<std::uint32_t> tsk_max_uses;  // TSK-Max-Uses; nullopt: unlimited, AVP omitted
};

using Clock = std::function<Timestamp()>;
Timestamp system_now();

// DLR: User-Name, Origin-Host, Origin-Realm.
struct DelegationRequest {
  std::string nai;
  std::string origin_host;
  std::string origin_realm;  // the visited realm that enters the TSK
};

// The content of the DLA's TSK-Vector.
struct IssuedVector {
  crypto::Bytes rand;
  std::uint32_t generation = 0;
  crypto::SecretBytes tsk;
  std::uint32_t lifetime = 0;
  std::optional<std::uint32_t> max_uses;
};

struct DelegationResult {
  diameter::Outcome outcome;
  std::optional<IssuedVector> vector;  // set exactly when outcome is success
};

// HAR: User-Name, Origin-Host, Origin-Realm, TSK-RAND, Key-Generation,
// Host-Challenge, MN-Auth-Data.
struct HomeAuthRequest {
  std::string nai;  // exactly as the MN sent it: it enters MN_AUTH
  std::string origin_host;
  std::string origin_realm;
  crypto::Bytes rand;
  std::uint32_t generation = 0;
  crypto::Bytes host_challenge;
  crypto::Bytes mn_auth;
};

struct HomeAuthResult {
  diameter::Outcome outcome;
  std::optional<crypto::Bytes> home_auth;  // Home-Auth-Data, set exactly on success
};

class DelegationService {
 public:
  DelegationService(SubscriberStore& store, DelegationPolicy policy, RoamingPartners partners,
                    crypto::RandomSource& random, Clock clock = system_now);

  // DLR. Checks, in order: the Origin-Realm is a roaming partner and the
  // Origin-Host one of its peers (5402), the subscriber exists (5401), is
  // not barred (5403), may roam to that realm (5402). Then draws RAND,
  // stores the next generation durably, and derives
  // TSK = KDF(K, "RoamKey TSK", RAND, lower(realm), generation) (sec. 2).
  // A store failure answers 5012 (the reason says why; no key material).
  DelegationResult delegate(const DelegationRequest& request) const;

  // HAR (claim 26). Lengths first (5004), then partner/peer (5402),
  // subscriber (5401), barred (5403), the named generation issued to this
  // realm with this RAND (5404), MN-Auth-Data (5405); on success
  // HOME_AUTH = KDF(K, "RoamKey HOME-AUTH", HC, lower(realm), MN_AUTH).
  HomeAuthResult authenticate_home(const HomeAuthRequest& request) const;

  const DelegationPolicy& policy() const { return policy_; }
  const RoamingPartners& partners() const { return partners_; }

 private:
  std::optional<diameter::Outcome> check_partner(const std::string& realm, const std::string& host) const;

  SubscriberStore& store_;
  DelegationPolicy policy_;
  RoamingPartners partners_;
  crypto::RandomSource& random_;
  Clock clock_;
};

}  // namespace roamkey::home
