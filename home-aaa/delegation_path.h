#pragma once
// Diameter I/O of the requests visited domains send the home (protocol.md
// sec. 3): decodes DLR, HAR and KUR into DelegationService calls and
// encodes the results into DLA, HAA and KUA. The requests the home sends
// (KPR, DRR) are visited_path.h's.

#include <functional>

#include "apps/delegation.h"
#include "delegation_queue.h"
#include "delegation_service.h"
#include "diameter/stack.h"

namespace roamkey::home {

// The TSK-Vector AVP content of an issued vector (DLA and KPR).
apps::TskVector to_tsk_vector(IssuedVector v);

class DelegationPath {
 public:
  // Registers the handlers; the service and the queue must outlive the
  // Stack's run. DLRs go through `queue` (group commit); HAR and KUR are
  // answered on the dispatch thread. `revocations_queued` runs (on the
  // queue's writer thread) after a DLR revoked an earlier delegation, so
  // that the daemon sends the DRR at once instead of at its next poll; it
  // must not block.
  DelegationPath(diameter::Stack& stack, const DelegationService& service, DelegationQueue& queue,
                 std::function<void()> revocations_queued = {});

 private:
  void on_delegation(diameter::PendingRequest request) const;
  void on_home_authentication(diameter::PendingRequest request) const;
  void on_key_update_report(diameter::PendingRequest request) const;
  // The connected peer must itself be listed for the realm it relays for,
  // so that one partner cannot speak with another partner's Origin-Host.
  std::optional<diameter::Outcome> check_source(const diameter::Message& m) const;

  const DelegationService& service_;
  DelegationQueue& queue_;
  std::function<void()> revocations_queued_;
};

}  // namespace roamkey::home
