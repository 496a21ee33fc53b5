#include "delegation_store.h"

namespace roamkey::home {

std::string_view to_string(RevocationCause c) {
  switch (c) {
    case RevocationCause::Administrative: return "ADMINISTRATIVE";
    case RevocationCause::NewDelegation: return "NEW_DELEGATION";
    case RevocationCause::SubscriptionWithdrawn: return "SUBSCRIPTION_WITHDRAWN";
    case RevocationCause::KeyCompromised: return "KEY_COMPROMISED";
  }
  return "UNKNOWN";
}

std::string_view to_string(KeyUpdateStatus s) {
  switch (s) {
    case KeyUpdateStatus::Updated: return "UPDATED";
    case KeyUpdateStatus::RejectedByMn: return "REJECTED_BY_MN";
    case KeyUpdateStatus::Abandoned: return "ABANDONED";
  }
  return "UNKNOWN";
}

std::string_view to_string(RevocationState s) {
  switch (s) {
    case RevocationState::Pending: return "pending";
    case RevocationState::Delivered: return "delivered";
    case RevocationState::Abandoned: return "abandoned";
  }
  return "unknown";
}

std::string_view to_string(KeyPushState s) {
  switch (s) {
    case KeyPushState::Sending: return "sending";
    case KeyPushState::Pending: return "pending";
    case KeyPushState::Updated: return "updated";
    case KeyPushState::Rejected: return "rejected";
    case KeyPushState::Gone: return "gone";
    case KeyPushState::Failed: return "failed";
    case KeyPushState::Superseded: return "superseded";
    case KeyPushState::Expired: return "expired";
  }
  return "unknown";
}

}  // namespace roamkey::home
