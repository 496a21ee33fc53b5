#pragma once
// All Diameter I/O of the home domain's Delegation application (protocol.md
// sec. 3): decodes DLR and HAR into DelegationService calls and encodes the
// results into DLA and HAA. KPR/KUR/DRR come with key rotation.

#include "delegation_service.h"
#include "diameter/stack.h"

namespace roamkey::home {

class DelegationPath {
 public:
  // Registers the handlers; both references must outlive the Stack's run.
  DelegationPath(diameter::Stack& stack, const DelegationService& service);

 private:
  void on_delegation(diameter::PendingRequest request) const;
  void on_home_authentication(diameter::PendingRequest request) const;
  // The connected peer must itself be listed for the realm it relays for,
  // so that one partner cannot speak with another partner's Origin-Host.
  std::optional<diameter::Outcome> check_source(const diameter::Message& m) const;

  const DelegationService& service_;
};

}  // namespace roamkey::home
