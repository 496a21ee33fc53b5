#pragma once
// Diameter I/O of the requests the home sends to visited hosts (protocol.md
// sec. 3): KPR and DRR, addressed with Destination-Host to the host that
// holds the delegation. They travel over the connection the visited host
// opened to us, so the home needs no diameter.connect entry for it.

#include <chrono>

#include "diameter/stack.h"
#include "visited_link.h"

namespace roamkey::home {

class DiameterVisitedLink final : public VisitedLink {
 public:
  // `timeout` bounds each answer (fd_msg_send_timeout); the stack must
  // outlive every callback (it calls them, at the latest, at shutdown).
  DiameterVisitedLink(diameter::Stack& stack, std::chrono::milliseconds timeout);

  void push_key(KeyPushMessage message, LinkCallback done) override;
  void revoke(RevocationMessage message, LinkCallback done) override;

  // 2001 Success; Experimental 5401 NoDelegation; 3xxx, timeout or not sent
  // Unreachable; anything else Refused.
  static LinkResult classify(const diameter::Answer& answer);

 private:
  diameter::Stack& stack_;
  std::chrono::milliseconds timeout_;
};

}  // namespace roamkey::home
