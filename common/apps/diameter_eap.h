#pragma once
// Typed messages of Diameter EAP (RFC 4072, application 5) as RoamKey uses
// them (protocol.md sec. 4): DER from the AAA client, DEA from visited-aaa.
// The dictionary comes from Debian's dict_nasreq + dict_eap.

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "diameter/message.h"

namespace roamkey::apps {

// RFC 4072 sec. 4.1 / RFC 7155 Auth-Request-Type.
inline constexpr std::int32_t kAuthorizeAuthenticate = 3;

class DiameterEapApp {
 public:
  static const DiameterEapApp& get();
  static constexpr const char* kApplicationName = "Diameter Extensible Authentication Protocol (EAP) Application";

  std::uint32_t application_id = 0;
  diameter::CommandDef der;
  diameter::AvpDef auth_application_id, auth_request_type, destination_realm, destination_host, user_name, eap_payload,
      eap_master_session_key, eap_key_name, session_timeout;

  // DER (RFC 4072 sec. 3.1) on an existing conversation (Session-Id stable
  // for the whole conversation, protocol.md sec. 4).
  diameter::Message request(std::string_view session_id, std::string_view destination_realm, std::string_view user_name,
                            crypto::ByteView eap_payload, bool with_payload = true) const;
  // Auth-Application-Id and Auth-Request-Type every DEA carries (RFC 4072 sec. 3.2).
  void answer_header(diameter::AvpSink& avps) const;

 private:
  DiameterEapApp();
};

}  // namespace roamkey::apps
