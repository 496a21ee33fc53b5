#pragma once
// The home domain's side of the Delegation application (protocol.md sec. 3),
// free of Diameter I/O: the daemon decodes DLR, HAR and KUR into the
// requests below and encodes the results into DLA, HAA and KUA. Rotation
// issues the next generation of a delegation, which the outbox
// (visited_outbox.h) then pushes with a KPR.
//
// Safe to call from several Diameter dispatch threads and the daemon's timer
// thread at once: the service holds no mutable state of its own; the stores
// and the random source are thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "delegation_policy.h"
#include "delegation_store.h"
#include "diameter/result_code.h"
#include "roaming_partners.h"
#include "subscriber_store.h"
#include "wrap_keys.h"

namespace roamkey::home {

using Clock = std::function<Timestamp()>;
Timestamp system_now();

// DLR: User-Name, Origin-Host, Origin-Realm.
struct DelegationRequest {
  std::string nai;
  std::string origin_host;
  std::string origin_realm;  // the visited realm that enters the TSK
};

// The content of a TSK-Vector (DLA or KPR).
struct IssuedVector {
  crypto::Bytes rand;
  std::uint32_t generation = 0;
  // Exactly one of the two (sec. 3): the clear TSK, or its RFC 3394 wrap
  // under the partner's KEK named by key_wrap_key_id (then tsk is empty).
  crypto::SecretBytes tsk;
  std::optional<crypto::Bytes> wrapped_tsk;
  std::string key_wrap_key_id;
  std::uint32_t lifetime = 0;
  std::optional<std::uint32_t> max_uses;
};

struct DelegationResult {
  diameter::Outcome outcome;
  std::optional<IssuedVector> vector;  // set exactly when outcome is success
  // The subscriber's previous delegation, revoked (NEW_DELEGATION) because
  // this one is with another realm; its DRRs are queued.
  std::optional<DelegationRecord> revoked = {};
  std::size_t revocations_queued = 0;
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

// KUR: User-Name, Origin-Host, Origin-Realm, Key-Generation, Key-Update-Status.
struct KeyUpdateRequest {
  std::string nai;
  std::string origin_host;
  std::string origin_realm;
  std::uint32_t generation = 0;
  KeyUpdateStatus status = KeyUpdateStatus::Updated;
};

struct KeyUpdateResult {
  diameter::Outcome outcome;
  bool repeated = false;  // a retry of a report already recorded: nothing changed
};

enum class RotationStatus {
  Rotated,
  UnknownSubscriber,
  NoActiveDelegation,  // none, revoked, gone, or its latest vector expired
  NotAllowed,          // barred, or no longer allowed to roam to that realm
  Changed,             // the delegation changed while rotating; nothing issued
  Failed,              // store or RNG failure
};
std::string_view to_string(RotationStatus s);

struct RotationResult {
  RotationStatus status = RotationStatus::Failed;
  std::string nai;
  std::optional<KeyPushRecord> push;  // set when Rotated
  std::string detail;                 // why not, fit for a log line and the operator
};

struct HandledRequest {
  OperatorRequest request;
  RotationResult result;
};

class DelegationService {
 public:
  // `policy` is the top-level one; a partner's own policy overrides it.
  // `wrap_keys` holds the KEK of every partner that gets TSKs wrapped.
  DelegationService(SubscriberStore& store, DelegationStore& delegations, DelegationPolicy policy,
                    RoamingPartners partners, crypto::RandomSource& random, Clock clock = system_now,
                    WrapKeys wrap_keys = {});

  // DLR. Checks, in order: the Origin-Realm is a roaming partner and the
  // Origin-Host one of its peers (5402), the subscriber exists (5401), is
  // not barred (5403), may roam to that realm (5402). Then draws RAND,
  // stores the next generation durably and makes this the subscriber's
  // active delegation (revoking one with another realm), and derives
  // TSK = KDF(K, "RoamKey TSK", RAND, lower(realm), generation) (sec. 2),
  // wrapped under the partner's KEK when it has `wrap_with`.
  // A store failure answers 5012 (the reason says why; no key material).
  DelegationResult delegate(const DelegationRequest& request) const;

  // HAR (claim 26). Lengths first (5004), then partner/peer (5402),
  // subscriber (5401), barred (5403), the named generation issued to this
  // realm with this RAND (5404), MN-Auth-Data (5405); on success
  // HOME_AUTH = KDF(K, "RoamKey HOME-AUTH", HC, lower(realm), MN_AUTH).
  HomeAuthResult authenticate_home(const HomeAuthRequest& request) const;

  // KUR (claim 25). Partner/peer (5402), subscriber (5401), the generation
  // issued to this realm (5404); then records the report once per
  // (generation, status): a repeated report is answered 2001 again and
  // changes nothing.
  KeyUpdateResult report_key_update(const KeyUpdateRequest& request) const;

  // Issues the next generation of `nai`'s active delegation (same realm and
  // host) under the partner's current policy, durably, and queues its KPR.
  RotationResult rotate(std::string_view nai) const;
  // Rotates every active delegation whose latest generation is older than
  // its partner's rotation_interval (at most `limit` per partner).
  std::vector<RotationResult> rotate_due(std::size_t limit) const;
  // The operator's queued requests (`home-aaa rotate`), each answered in
  // the store with its result.
  std::vector<HandledRequest> handle_operator_requests(std::size_t limit) const;

  // The TSK-Vector of a queued key push: TSK derived from K again and
  // wrapped when the partner wraps. nullopt with `why_not` when the
  // subscriber is gone. StoreError when K cannot be read.
  std::optional<IssuedVector> push_vector(const KeyPushRecord& push, std::string& why_not) const;

  // The policy for `realm`: its partner's own, else the top-level one.
  DelegationPolicy policy_for(std::string_view realm) const;
  // Whether `host` is a listed peer of roaming partner `realm`.
  bool speaks_for(std::string_view realm, std::string_view host) const;

  // A configuration reload (docs/operations.md): the partners, the policy
  // and the KEKs, replaced together. Thread contract: from any thread, at
  // any time; each request above reads one set from start to end, the old
  // one or the new one, never a mix.
  void reconfigure(DelegationPolicy policy, RoamingPartners partners, WrapKeys wrap_keys);

 private:
  struct Settings {
    DelegationPolicy policy;
    RoamingPartners partners;
    WrapKeys wrap_keys;
    const DelegationPolicy& policy_for(std::string_view realm) const;
  };
  static std::optional<diameter::Outcome> check_partner(const Settings& settings, const std::string& realm,
                                                        const std::string& host);
  IssuedVector make_vector(const Settings& settings, const crypto::SecretBytes& k, crypto::Bytes rand,
                           std::string_view realm, std::uint32_t generation, std::uint32_t lifetime,
                           std::optional<std::uint32_t> max_uses) const;

  SubscriberStore& store_;
  DelegationStore& delegations_;
  crypto::RandomSource& random_;
  Clock clock_;
  std::atomic<std::shared_ptr<const Settings>> settings_;
};

}  // namespace roamkey::home
