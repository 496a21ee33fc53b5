#include "diameter/result_code.h"

namespace roamkey::diameter {

std::string_view result_code_name(std::uint32_t code, bool experimental) {
  if (experimental) {
    switch (static_cast<ExperimentalCode>(code)) {
      case ExperimentalCode::UserUnknown: return "USER_UNKNOWN";
      case ExperimentalCode::RoamingNotAllowed: return "ROAMING_NOT_ALLOWED";
      case ExperimentalCode::SubscriberBarred: return "SUBSCRIBER_BARRED";
      case ExperimentalCode::UnknownKeyGeneration: return "UNKNOWN_KEY_GENERATION";
      case ExperimentalCode::MnAuthFailed: return "MN_AUTH_FAILED";
    }
    return "UNKNOWN_EXPERIMENTAL_RESULT";
  }
  switch (code) {
    case 1001: return "DIAMETER_MULTI_ROUND_AUTH";
    case 2001: return "DIAMETER_SUCCESS";
    case 3001: return "DIAMETER_COMMAND_UNSUPPORTED";
    case 3002: return "DIAMETER_UNABLE_TO_DELIVER";
    case 3003: return "DIAMETER_REALM_NOT_SERVED";
    case 3004: return "DIAMETER_TOO_BUSY";
    case 3005: return "DIAMETER_LOOP_DETECTED";
    case 3007: return "DIAMETER_APPLICATION_UNSUPPORTED";
    case 3010: return "DIAMETER_UNKNOWN_PEER";
    case 4001: return "DIAMETER_AUTHENTICATION_REJECTED";
    case 5001: return "DIAMETER_AVP_UNSUPPORTED";
    case 5004: return "DIAMETER_INVALID_AVP_VALUE";
    case 5005: return "DIAMETER_MISSING_AVP";
    case 5009: return "DIAMETER_AVP_OCCURS_TOO_MANY_TIMES";
    case 5012: return "DIAMETER_UNABLE_TO_COMPLY";
    default: return "UNKNOWN_RESULT_CODE";
  }
}

}  // namespace roamkey::diameter
