#pragma once
// The abbreviation of each request RoamKey speaks (RFC 4072 sec. 3.1 for
// DER; protocol.md sec. 3 for the Delegation application), with its command
// code from the loaded dictionary: the `command` label of the metrics.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace roamkey::apps {

// DER, DLR, KPR, KUR, HAR, DRR. Call after the Stack loaded the dictionary.
std::vector<std::pair<std::uint32_t, std::string>> command_labels();

}  // namespace roamkey::apps
