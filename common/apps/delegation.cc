#include "apps/delegation.h"

#include <openssl/crypto.h>

namespace roamkey::apps {

using diameter::AvpDef;
using diameter::CommandDef;

namespace {
// RFC 6733 sec. 8.11: NO_STATE_MAINTAINED, the delegation is stateless.
constexpr std::int32_t kNoStateMaintained = 1;
}  // namespace

const DelegationApp& DelegationApp::get() {
  static const DelegationApp app;
  return app;
}

DelegationApp::DelegationApp() {
  application_id = diameter::application_id_of(kApplicationName);
  vendor_id = diameter::vendor_id_of(kVendorName);
  dlr = CommandDef::named("Delegation-Request");
  kpr = CommandDef::named("Key-Push-Request");
  kur = CommandDef::named("Key-Update-Report-Request");
  har = CommandDef::named("Home-Authentication-Request");
  drr = CommandDef::named("Delegation-Revoke-Request");
  auth_application_id = AvpDef::named("Auth-Application-Id");
  auth_session_state = AvpDef::named("Auth-Session-State");
  destination_realm = AvpDef::named("Destination-Realm");
  destination_host = AvpDef::named("Destination-Host");
  user_name = AvpDef::named("User-Name");
  tsk_vector = AvpDef::named("TSK-Vector");
  tsk_rand = AvpDef::named("TSK-RAND");
  tsk_key = AvpDef::named("TSK-Key");
  wrapped_tsk_key = AvpDef::named("Wrapped-TSK-Key");
  key_wrap_key_id = AvpDef::named("Key-Wrap-Key-Id");
  key_generation = AvpDef::named("Key-Generation");
  tsk_lifetime = AvpDef::named("TSK-Lifetime");
  tsk_max_uses = AvpDef::named("TSK-Max-Uses");
  kdf_algorithm = AvpDef::named("KDF-Algorithm");
  host_challenge = AvpDef::named("Host-Challenge");
  mn_auth_data = AvpDef::named("MN-Auth-Data");
  home_auth_data = AvpDef::named("Home-Auth-Data");
  key_update_status = AvpDef::named("Key-Update-Status");
  revocation_cause = AvpDef::named("Revocation-Cause");
}

diameter::Message DelegationApp::request(const CommandDef& cmd, std::string_view destination_realm_value,
                                         std::string_view destination_host_value) const {
  auto m = diameter::Message::request(cmd);
  auto avps = m.avps();
  avps.add(auth_application_id, application_id);
  avps.add(auth_session_state, kNoStateMaintained);
  avps.add(destination_realm, destination_realm_value);
  if (!destination_host_value.empty()) avps.add(destination_host, destination_host_value);
  return m;
}

void DelegationApp::answer_header(diameter::AvpSink& avps) const {
  avps.add(auth_application_id, application_id);
  avps.add(auth_session_state, kNoStateMaintained);
}

void DelegationApp::write_vector(diameter::AvpSink& avps, const TskVector& v) const {
  auto g = avps.group(tsk_vector);
  g.add(tsk_rand, crypto::ByteView(v.rand));
  g.add(key_generation, v.generation);
  g.add(tsk_lifetime, v.lifetime);
  g.add(kdf_algorithm, kKdfHmacSha256);
  if (v.wrapped_tsk) {
    g.add(wrapped_tsk_key, crypto::ByteView(*v.wrapped_tsk));
    g.add(key_wrap_key_id, v.key_wrap_key_id);
  } else {
    g.add(tsk_key, v.tsk.view());
  }
  if (v.max_uses) g.add(tsk_max_uses, *v.max_uses);
}

std::optional<TskVector> DelegationApp::read_vector(diameter::AvpReader& parent) const {
  auto g = parent.group(tsk_vector);
  if (!g) return std::nullopt;
  TskVector v;
  v.rand = g->octets(tsk_rand, kRandLength);
  v.generation = g->u32(key_generation);
  v.lifetime = g->u32(tsk_lifetime);
  const auto kdf = g->i32(kdf_algorithm);
  v.max_uses = g->optional_u32(tsk_max_uses);
  auto clear = g->optional_octets(tsk_key, kTskLength);
  v.wrapped_tsk = g->optional_octets(wrapped_tsk_key, kWrappedTskLength);
  if (g->ok() && kdf != kKdfHmacSha256) g->fail(diameter::ResultCode::InvalidAvpValue, "unsupported KDF-Algorithm");
  // sec. 3: exactly one of TSK-Key and Wrapped-TSK-Key.
  if (g->ok() && clear.has_value() == v.wrapped_tsk.has_value())
    g->fail(diameter::ResultCode::InvalidAvpValue, "TSK-Vector needs exactly one of TSK-Key and Wrapped-TSK-Key");
  if (g->ok() && v.wrapped_tsk) {
    v.key_wrap_key_id = g->utf8(key_wrap_key_id);
  }
  if (!g->ok()) {
    parent.fail(static_cast<diameter::ResultCode>(g->failure().code), g->failure().reason);
    return std::nullopt;
  }
  if (clear) {
    v.tsk = crypto::SecretBytes(crypto::ByteView(*clear));
    OPENSSL_cleanse(clear->data(), clear->size());
  }
  return v;
}

}  // namespace roamkey::apps
