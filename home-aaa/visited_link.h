#pragma once
// The requests the home domain sends to visited hosts (protocol.md sec. 3):
// Key-Push (KPR) and Delegation-Revoke (DRR). An interface, so that the
// outbox is tested without a network; DiameterVisitedLink (visited_path.h)
// is the Diameter implementation.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "delegation_service.h"
#include "delegation_store.h"

namespace roamkey::home {

// KPR: Destination-Host = the visited host holding the delegation,
// Destination-Realm = its realm; { User-Name } { TSK-Vector }.
struct KeyPushMessage {
  std::string user_name;
  std::string visited_realm;
  std::string visited_host;
  IssuedVector vector;
};

// DRR: { User-Name } { Revocation-Cause } [ Key-Generation ].
struct RevocationMessage {
  std::string user_name;
  std::string visited_realm;
  std::string visited_host;
  RevocationCause cause = RevocationCause::Administrative;
  std::optional<std::uint32_t> generation;
};

enum class LinkStatus {
  Success,       // 2001
  NoDelegation,  // Experimental-Result 5401: the visited host holds no delegation for the NAI
  Unreachable,   // 3xxx (3002 unable to deliver, 3004 too busy ...), timeout, not sent: try again later
  Refused,       // any other answer: trying again would not help
};

struct LinkResult {
  LinkStatus status = LinkStatus::Unreachable;
  std::string detail;  // "3002 DIAMETER_UNABLE_TO_DELIVER: ...", "timed out: ..." (never key material)
};

using LinkCallback = std::function<void(LinkResult)>;

class VisitedLink {
 public:
  virtual ~VisitedLink() = default;
  // `done` runs exactly once, on any thread, possibly before these return.
  virtual void push_key(KeyPushMessage message, LinkCallback done) = 0;
  virtual void revoke(RevocationMessage message, LinkCallback done) = 0;
};

}  // namespace roamkey::home
