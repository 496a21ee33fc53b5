#pragma once
// Diameter EAP (RFC 4072) towards the AAA clients: each DER becomes an
// EapTskServer request, each reply a DEA (protocol.md sec. 4).

#include "diameter/stack.h"
#include "eap_tsk_server.h"

namespace roamkey::visited {

class DerPath {
 public:
  DerPath(diameter::Stack& stack, EapTskServer& server);

 private:
  void on_der(diameter::PendingRequest request);
  EapTskServer& server_;
};

}  // namespace roamkey::visited
