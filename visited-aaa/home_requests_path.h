#pragma once
// Requests the home domains send to us (protocol.md sec. 3): Key-Push (a
// pushed next vector, kept pending until the mobile's key update) and
// Delegation-Revoke. Only peers we dial as homes (diameter.connect) may send
// them: an AAA client must not be able to revoke or push keys.

#include <string>
#include <vector>

#include "apps/delegation.h"
#include "diameter/stack.h"
#include "eap_tsk_server.h"
#include "kek_ring.h"
#include "tsk_cache.h"

namespace roamkey::visited {

class HomeRequestPath {
 public:
  // Home peers are those `stack` dials (Stack::dials, reloadable).
  HomeRequestPath(diameter::Stack& stack, TskCache& cache, const KekRing& keks, EapTskServer& server);

 private:
  void on_key_push(diameter::PendingRequest request);
  void on_revoke(diameter::PendingRequest request);
  bool from_home_peer(const diameter::Message& m) const;

  const diameter::Stack& stack_;
  TskCache& cache_;
  const KekRing& keks_;
  EapTskServer& server_;
};

}  // namespace roamkey::visited
