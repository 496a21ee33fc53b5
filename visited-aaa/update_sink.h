#pragma once
// Where EapTskServer reports how a key update ended (protocol.md sec. 5
// step 11): the Key-Update-Report to the home. An interface so that the
// service is tested without Diameter.

#include <cstdint>
#include <string>

namespace roamkey::visited {

enum class KeyUpdateStatus : std::int32_t { Updated = 0, RejectedByMn = 1, Abandoned = 2 };

class UpdateSink {
 public:
  virtual ~UpdateSink() = default;
  virtual void report(const std::string& nai, const std::string& home_realm, std::uint32_t generation,
                      KeyUpdateStatus status) = 0;
};

}  // namespace roamkey::visited
