#include "apps/command_labels.h"

#include "apps/delegation.h"
#include "apps/diameter_eap.h"

namespace roamkey::apps {

std::vector<std::pair<std::uint32_t, std::string>> command_labels() {
  const auto& d = DelegationApp::get();
  return {{DiameterEapApp::get().der.code(), "DER"},
          {d.dlr.code(), "DLR"},
          {d.kpr.code(), "KPR"},
          {d.kur.code(), "KUR"},
          {d.har.code(), "HAR"},
          {d.drr.code(), "DRR"}};
}

}  // namespace roamkey::apps
