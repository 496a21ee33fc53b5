#pragma once
// EAP-TSK peer side, the mobile node (protocol.md section 5, "Conversations").
// One Peer per conversation; aaa-client drives it. No I/O: each EAP-Request
// goes into handle(), which returns the EAP-Response to send or the final
// status on EAP-Success / EAP-Failure.
//
//   Start ──identity_response() or Request/Identity──► AwaitChallenge
//   AwaitChallenge ──Challenge, KEY_GEN < highest accepted──► AwaitChallenge [Error STALE_GENERATION, no MAC]
//                  ──Challenge──► AwaitConfirm [Challenge-Response (+HOST_CHALLENGE, MN_AUTH)]
//   AwaitConfirm ──Confirm, MAC and AT_HOME_AUTH ok──► AwaitUpdateOrSuccess [Confirm-Ack]
//                ──Confirm, bad MAC──► Failing [Error NETWORK_AUTH_FAILED]
//                ──Confirm, AT_HOME_AUTH missing or wrong──► Failing [Error HOME_AUTH_FAILED]
//   AwaitUpdateOrSuccess ──EAP-Success──► Succeeded
//                        ──Update-Request──► AwaitUpdateProof [Update-Challenge]
//   AwaitUpdateProof ──Update-Proof, AUTH_NET ok──► AwaitSuccess [Update-Confirm] (new generation accepted)
//                    ──Update-Proof, AUTH_NET wrong──► Failing [Error UPDATE_AUTH_FAILED] (old key kept)
//   AwaitSuccess ──EAP-Success──► Succeeded
//   any state ──bad request──► Failing [Error MALFORMED / UNSUPPORTED / INVALID_MAC]
//             ──server Error──► Failing [Error with the same code: the answer EAP requires]
//             ──EAP-Failure──► Failed
//             ──EAP-Success before the network was authenticated──► Failed
//   Failing ──EAP-Failure or anything──► Failed / [the same Error again]
//
// The highest accepted generation rises only when the network has proved the
// TSK (a valid Confirm MAC, and AT_HOME_AUTH when asked) or an update
// completed (AUTH_NET verified); a failed conversation leaves it unchanged.
// A repeated Request (same bytes) gets the same Response (RFC 3748 section 4.1).

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/session_keys.h"
#include "eaptsk/packet.h"

namespace roamkey::eaptsk {

// Deliberate misbehaviour, for tests of the server's error paths.
struct PeerFaults {
  bool corrupt_mac = false;       // every AT_MAC the peer sends is wrong
  bool reject_update = false;     // treat AUTH_NET as wrong: Error UPDATE_AUTH_FAILED
  bool silent_on_update = false;  // never answer an Update-Request
};

enum class PeerStatus : std::uint8_t { InProgress, Succeeded, Failed };

struct PeerStep {
  PeerStatus status = PeerStatus::InProgress;
  std::optional<Bytes> response;  // absent on Success/Failure, on a discarded request, or when silent
};

class Peer {
 public:
  // highest_generation: the highest key generation accepted so far (0 = none).
  Peer(std::string nai, crypto::SecretBytes k, std::uint32_t highest_generation, bool want_home_auth,
       crypto::RandomSource& random, PeerFaults faults = {});

  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // The EAP-Response/Identity that opens the conversation unsolicited (the
  // AAA client's first DER, section 4).
  Bytes identity_response(std::uint8_t identifier = 0);

  // One packet from the server. Never throws on hostile input; a packet that
  // is not even EAP is discarded (RFC 3748 section 4.1).
  PeerStep handle(ByteView request);

  PeerStatus status() const;
  // Valid once the Challenge-Response is sent; empty before.
  const crypto::SecretBytes& msk() const { return msk_; }
  const crypto::SecretBytes& emsk() const { return emsk_; }
  const Bytes& session_id() const { return session_id_; }
  std::uint32_t highest_generation() const { return highest_generation_; }
  std::uint32_t generation() const { return generation_; }  // of this conversation's Challenge
  bool home_authenticated() const { return home_authenticated_; }
  bool updated() const { return updated_; }
  std::optional<ErrorCode> last_error_sent() const { return last_error_sent_; }
  std::optional<ErrorCode> last_error_received() const { return last_error_received_; }
  // K_AUT of this conversation, for test tooling that plays a rogue visited
  // network (aaa-client --tamper rogue-home-auth): it can MAC what it likes.
  const std::optional<crypto::SecretBytes>& k_aut() const { return k_aut_; }

 private:
  enum class State : std::uint8_t {
    Start,
    AwaitChallenge,
    AwaitConfirm,
    AwaitUpdateOrSuccess,
    AwaitUpdateProof,
    AwaitSuccess,
    Failing,
    Succeeded,
    Failed,
  };

  PeerStep dispatch(ByteView request);
  PeerStep handle_method_request(const Packet& packet, ByteView bytes);
  PeerStep on_challenge(const Packet& packet);
  PeerStep on_confirm(const Packet& packet, ByteView bytes);
  PeerStep on_update_request(const Packet& packet, ByteView bytes);
  PeerStep on_update_proof(const Packet& packet, ByteView bytes);

  PeerStep respond(Packet packet);
  PeerStep send_error(ErrorCode code);
  PeerStep finish(State state);

  std::string nai_;
  crypto::SecretBytes k_;
  std::uint32_t highest_generation_;
  bool want_home_auth_;
  crypto::RandomSource& random_;
  PeerFaults faults_;

  State state_ = State::Start;
  std::uint8_t identifier_ = 0;  // of the Request being answered
  Bytes last_request_;
  std::optional<Bytes> last_response_;

  std::string realm_;
  std::uint32_t generation_ = 0;
  Bytes host_challenge_;
  Bytes mn_auth_;
  std::optional<crypto::SecretBytes> k_aut_;
  crypto::SecretBytes msk_;
  crypto::SecretBytes emsk_;
  Bytes session_id_;
  bool home_authenticated_ = false;

  Bytes update_rand_;
  std::uint32_t update_generation_ = 0;
  crypto::SecretBytes update_tsk_;
  Bytes nonce_b_;
  bool updated_ = false;

  std::optional<ErrorCode> last_error_sent_;
  std::optional<ErrorCode> last_error_received_;
};

}  // namespace roamkey::eaptsk
