#include "apps/diameter_eap.h"

namespace roamkey::apps {

using diameter::AvpDef;
using diameter::CommandDef;

const DiameterEapApp& DiameterEapApp::get() {
  static const DiameterEapApp app;
  return app;
}

DiameterEapApp::DiameterEapApp() {
  application_id = diameter::application_id_of(kApplicationName);
  der = CommandDef::named("Diameter-EAP-Request");
  auth_application_id = AvpDef::named("Auth-Application-Id");
  auth_request_type = AvpDef::named("Auth-Request-Type");
  destination_realm = AvpDef::named("Destination-Realm");
  destination_host = AvpDef::named("Destination-Host");
  user_name = AvpDef::named("User-Name");
  eap_payload = AvpDef::named("EAP-Payload");
  eap_master_session_key = AvpDef::named("EAP-Master-Session-Key");
  eap_key_name = AvpDef::named("EAP-Key-Name");
  session_timeout = AvpDef::named("Session-Timeout");
}

diameter::Message DiameterEapApp::request(std::string_view session_id, std::string_view destination_realm_value,
                                          std::string_view user_name_value, crypto::ByteView payload,
                                          bool with_payload) const {
  auto m = diameter::Message::request(der, session_id);
  auto avps = m.avps();
  avps.add(auth_application_id, application_id);
  avps.add(destination_realm, destination_realm_value);
  avps.add(auth_request_type, kAuthorizeAuthenticate);
  if (!user_name_value.empty()) avps.add(user_name, user_name_value);
  if (with_payload) avps.add(eap_payload, payload);
  return m;
}

void DiameterEapApp::answer_header(diameter::AvpSink& avps) const {
  avps.add(auth_application_id, application_id);
  avps.add(auth_request_type, kAuthorizeAuthenticate);
}

}  // namespace roamkey::apps
