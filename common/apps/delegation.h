#pragma once
// Typed messages of the RoamKey Delegation application (protocol.md sec. 3):
// the commands and AVPs resolved by name from dictionaries/roamkey.xml once,
// and the TSK-Vector codec both daemons share.

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "diameter/message.h"

namespace roamkey::apps {

// protocol.md sec. 3, KDF-Algorithm.
inline constexpr std::int32_t kKdfHmacSha256 = 1;
inline constexpr std::size_t kRandLength = 16;
inline constexpr std::size_t kTskLength = 32;
inline constexpr std::size_t kWrappedTskLength = 40;
inline constexpr std::size_t kHostChallengeLength = 16;
inline constexpr std::size_t kAuthDataLength = 32;

enum class KeyUpdateStatus : std::int32_t { Updated = 0, RejectedByMn = 1, Abandoned = 2 };
enum class RevocationCause : std::int32_t {
  Administrative = 0,
  NewDelegation = 1,
  SubscriptionWithdrawn = 2,
  KeyCompromised = 3
};

struct TskVector {
  crypto::Bytes rand;
  std::uint32_t generation = 0;
  std::uint32_t lifetime = 0;  // seconds the visited domain may use the TSK
  std::optional<std::uint32_t> max_uses;
  // Exactly one of the two on the wire: the clear TSK (protected hop by hop
  // by TLS) or the RFC 3394 wrap of it under the partner's KEK.
  crypto::SecretBytes tsk;
  std::optional<crypto::Bytes> wrapped_tsk;
  std::string key_wrap_key_id;
};

class DelegationApp {
 public:
  // Resolves every name; call after the Stack loaded the dictionary.
  static const DelegationApp& get();

  static constexpr const char* kApplicationName = "RoamKey Delegation";
  static constexpr const char* kVendorName = "RoamKey";

  std::uint32_t application_id = 0;
  std::uint32_t vendor_id = 0;
  diameter::CommandDef dlr, kpr, kur, har, drr;
  diameter::AvpDef auth_application_id, auth_session_state, destination_realm, destination_host, user_name;
  diameter::AvpDef tsk_vector, tsk_rand, tsk_key, wrapped_tsk_key, key_wrap_key_id, key_generation, tsk_lifetime,
      tsk_max_uses, kdf_algorithm, host_challenge, mn_auth_data, home_auth_data, key_update_status, revocation_cause;

  // A request with the AVPs every command carries (sec. 3): Session-Id,
  // Auth-Application-Id, Auth-Session-State = NO_STATE_MAINTAINED,
  // Origin-*, Destination-Realm and, if given, Destination-Host.
  diameter::Message request(const diameter::CommandDef& cmd, std::string_view destination_realm,
                            std::string_view destination_host = {}) const;
  // Auth-Application-Id and Auth-Session-State for every answer (sec. 3).
  void answer_header(diameter::AvpSink& avps) const;

  void write_vector(diameter::AvpSink& avps, const TskVector& v) const;
  // Reads the TSK-Vector of `parent`, recording 5005/5004 in the reader.
  std::optional<TskVector> read_vector(diameter::AvpReader& parent) const;

 private:
  DelegationApp();
};

}  // namespace roamkey::apps
