#include "subscriber_store.h"

#include <algorithm>

#include "nai.h"

namespace roamkey::home {

DuplicateSubscriber::DuplicateSubscriber(std::string nai, std::size_t index)
    : StoreError("subscriber already exists: " + nai), nai_(std::move(nai)), index_(index) {}

std::string_view to_string(SubscriberStatus s) {
  switch (s) {
    case SubscriberStatus::Active: return "active";
    case SubscriberStatus::Barred: return "barred";
  }
  return "unknown";
}

bool RoamingScope::allows(std::string_view realm) const {
  if (all_partners) return true;
  return std::any_of(realms.begin(), realms.end(), [&](const std::string& r) { return same_realm(r, realm); });
}

}  // namespace roamkey::home
