#pragma once
// HomeLink over Diameter: DLR and HAR to the home realm taken from the NAI
// (protocol.md sec. 3), routed by freeDiameter to the peer that advertised
// that realm. Answers arrive on dispatch threads; nothing here blocks.

#include <chrono>

#include "apps/delegation.h"
#include "diameter/stack.h"
#include "home_link.h"
#include "kek_ring.h"

namespace roamkey::visited {

class DiameterHomeLink final : public HomeLink {
 public:
  DiameterHomeLink(diameter::Stack& stack, const KekRing& keks, std::chrono::milliseconds timeout);
  void request_vector(const std::string& nai, const std::string& home_realm, VectorCallback done) override;
  void request_home_auth(const HomeAuthQuery& query, HomeAuthCallback done) override;

 private:
  diameter::Stack& stack_;
  const KekRing& keks_;
  std::chrono::milliseconds timeout_;
};

}  // namespace roamkey::visited
