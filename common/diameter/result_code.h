#pragma once
// Diameter result codes used by RoamKey: RFC 6733 section 7.1 base codes and
// the RoamKey application's Experimental-Result codes (protocol.md section 3).
// Kept free of freeDiameter so services can be unit-tested without it.

#include <cstdint>
#include <string>
#include <string_view>

namespace roamkey::diameter {

enum class ResultCode : std::uint32_t {
  MultiRoundAuth = 1001,  // RFC 6733 7.1.1, used by RFC 4072 DEA
  Success = 2001,
  UnableToDeliver = 3002,
  TooBusy = 3004,
  ApplicationUnsupported = 3007,
  UnknownPeer = 3010,
  AuthenticationRejected = 4001,
  InvalidAvpValue = 5004,
  MissingAvp = 5005,
  UnableToComply = 5012,
};

// protocol.md section 3, carried in Experimental-Result with Vendor-Id 32473.
enum class ExperimentalCode : std::uint32_t {
  UserUnknown = 5401,
  RoamingNotAllowed = 5402,
  SubscriberBarred = 5403,
  UnknownKeyGeneration = 5404,
  MnAuthFailed = 5405,
};

// The outcome of a request as a service sees it: either a base Result-Code or
// an application Experimental-Result-Code, plus a reason for the log and the
// Error-Message AVP. The reason must never contain key material.
struct Outcome {
  std::uint32_t code = static_cast<std::uint32_t>(ResultCode::Success);
  bool experimental = false;
  std::string reason;

  static Outcome ok() { return {}; }
  static Outcome base(ResultCode c, std::string why) { return {static_cast<std::uint32_t>(c), false, std::move(why)}; }
  static Outcome app(ExperimentalCode c, std::string why) {
    return {static_cast<std::uint32_t>(c), true, std::move(why)};
  }
  bool is_success() const { return !experimental && code == static_cast<std::uint32_t>(ResultCode::Success); }
};

std::string_view result_code_name(std::uint32_t code, bool experimental);

}  // namespace roamkey::diameter
