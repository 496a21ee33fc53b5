#pragma once
// One EAP-TSK conversation as the AAA client runs it (RFC 4072 DER/DEA
// rounds, protocol.md sec. 4) with the simulated mobile node (eaptsk::Peer)
// behind it. Asynchronous: answers arrive on freeDiameter's dispatch
// threads and the next DER leaves from there, so many sessions can run at
// once (the load generator) without a thread each.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "diameter/stack.h"
#include "eaptsk/peer.h"

namespace roamkey::client {

// Deliberate faults, to drive the server's error paths from tests.
enum class Tamper {
  None,
  RogueHomeAuth,  // act as a rogue visited network: replace AT_HOME_AUTH, re-MAC with K_AUT
  Malformed,      // garble the Challenge-Response
  NoEapPayload,   // first DER without EAP-Payload
};

struct AuthOptions {
  std::string nai;
  crypto::SecretBytes k;
  std::uint32_t highest_generation = 0;  // what the mobile accepted before
  bool home_auth = false;                // ask for home authentication (claim 26)
  bool identity_request_first = false;   // start with an empty EAP-Payload (sec. 4)
  Tamper tamper = Tamper::None;
  eaptsk::PeerFaults faults;
  std::string destination_realm;
  std::chrono::milliseconds round_timeout{10'000};
};

struct AuthOutcome {
  bool success = false;
  bool unreachable = false;  // no answer at all: timeout or not sent
  std::uint32_t result_code = 0;
  std::string reason;
  std::uint32_t generation = 0;
  std::uint32_t highest_generation = 0;
  bool home_authenticated = false;
  bool updated = false;
  crypto::Bytes key_name;
  bool msk_match = false;
  unsigned round_trips = 0;
};

class EapSession : public std::enable_shared_from_this<EapSession> {
 public:
  using Done = std::function<void(AuthOutcome)>;
  // Starts the conversation; `done` runs exactly once.
  static void start(diameter::Stack& stack, AuthOptions options, crypto::RandomSource& random, Done done);

 private:
  EapSession(diameter::Stack& stack, AuthOptions options, crypto::RandomSource& random, Done done);
  void send(const crypto::Bytes& eap, bool with_payload = true);
  void on_answer(diameter::Answer answer);
  void finish(AuthOutcome outcome);
  crypto::Bytes tamper_request(crypto::ByteView request);
  crypto::Bytes tamper_response(crypto::Bytes response);

  diameter::Stack& stack_;
  AuthOptions options_;
  eaptsk::Peer peer_;
  Done done_;
  std::string session_id_;
  AuthOutcome outcome_;
};

}  // namespace roamkey::client
