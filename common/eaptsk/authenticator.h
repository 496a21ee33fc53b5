#pragma once
// EAP-TSK server side (protocol.md section 5, "Conversations"): one
// Authenticator per EAP conversation. It never blocks and does no I/O: the
// caller (visited-aaa) feeds it the peer's EAP-Responses and the results of
// the asynchronous operations it asked for, and carries out the Action each
// call returns.
//
//   start() ──► AwaitIdentity ──Identity──┐
//   Idle ──on_response(Identity)──────────┴──► AwaitVector ──[NeedVector]
//   AwaitVector ──provide_vector──► AwaitChallengeResponse ──[Challenge]
//               ──vector_unavailable──► Done [Failure]
//   AwaitChallengeResponse ──Error STALE_GENERATION (first)──► AwaitVector [NeedVector refresh]
//                          ──Error STALE_GENERATION (second)──► Done [Failure]
//                          ──Challenge-Response, host challenge──► AwaitHomeAuth [NeedHomeAuth]
//                          ──Challenge-Response──► AwaitConfirmAck [Confirm]
//   AwaitHomeAuth ──provide_home_auth──► AwaitConfirmAck [Confirm, with AT_HOME_AUTH unless the HAR failed]
//   AwaitConfirmAck ──Confirm-Ack, update pending──► AwaitUpdateChallenge [Update-Request]
//                   ──Confirm-Ack──► Done [Success]
//   AwaitUpdateChallenge ──Update-Challenge──► AwaitUpdateConfirm [Update-Proof]
//   AwaitUpdateConfirm ──Update-Confirm, RES_U ok──► Done [Success, Updated]
//                      ──Update-Confirm, RES_U wrong──► Done [Failure, RejectedByMn]
//   any EAP-TSK state ──peer Error──► Done [Failure]
//                     ──Nak──► Done [Failure]
//                     ──bad packet / MAC / identifier / op──► AwaitErrorAck [Error]
//   AwaitErrorAck ──anything──► Done [Failure]
//
// Section 5 says a message that does not check "is answered with Error and
// then EAP-Failure". EAP lets only the peer answer a Request, so the
// Authenticator sends EAP-Request/EAP-TSK-Error (with AT_MAC once K_AUT
// exists), and whatever the peer answers to it, finishes with EAP-Failure.
// Before the method is chosen (the Identity exchange) there is no EAP-TSK to
// speak, so a bad Identity ends at once with EAP-Failure.
//
// Identifiers (RFC 3748 section 4.1): a Request takes the identifier of the
// last Response plus one (mod 256), a Response must repeat the identifier of
// the last Request, and Success/Failure repeat the last Request's identifier.
//
// Calling a method in a state that does not expect it (provide_vector while
// waiting for a response, on_response while a NeedVector is outstanding,
// anything after Done) is a caller bug and throws std::logic_error.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/session_keys.h"
#include "eaptsk/packet.h"

namespace roamkey::eaptsk {

// A delegated (RAND, TSK) pair as the home domain issued it (TSK-Vector, sec. 3).
struct Vector {
  Bytes rand;  // 16 bytes
  std::uint32_t generation = 0;
  crypto::SecretBytes tsk;  // 32 bytes
};

// How a pending key update ended, for the Key-Update-Report (sec. 3).
enum class UpdateResult : std::uint8_t {
  NotAttempted,  // no update was pending, or the conversation failed before it began
  Updated,       // RES_U verified: replace the cached TSK, KUR UPDATED
  RejectedByMn,  // the update began and did not complete: keep the old TSK, KUR REJECTED_BY_MN
};

enum class FailureReason : std::uint8_t {
  InvalidIdentity,    // the first response was no usable EAP-Response/Identity
  MethodRejected,     // the peer answered with a Nak
  VectorUnavailable,  // the DLR failed
  StaleGeneration,    // the peer rejected the generation twice, or the fresh vector is no newer
  MalformedMessage,   // a response failed decoding
  UnexpectedMessage,  // wrong identifier, wrong op for the state, or not EAP-TSK
  InvalidMac,         // a response's AT_MAC did not verify (claim 5 fails)
  NetworkAuthFailed,  // the peer could not verify the network (Error NETWORK_AUTH_FAILED / INVALID_MAC)
  HomeAuthFailed,     // the peer could not verify the home domain (Error HOME_AUTH_FAILED)
  UpdateRejected,     // the peer refused the update, or RES_U was wrong
  PeerError,          // any other Error from the peer, or one without a valid AT_MAC
};

std::string_view failure_reason_name(FailureReason reason);

// Actions. Exactly one per call; the caller acts and calls back.
struct SendRequest {
  Bytes packet;  // EAP-Request for a DEA with Result-Code 1001
};

// Fetch a vector for nai (cache or DLR) and call provide_vector or vector_unavailable.
struct NeedVector {
  std::string nai;
  bool refresh = false;              // the peer called the last one stale: drop it and send a DLR
  std::uint32_t min_generation = 0;  // with refresh: a usable vector has at least this generation
};

// Send an HAR and call provide_home_auth with the Home-Auth-Data (claim 26).
struct NeedHomeAuth {
  std::string nai;
  Bytes rand;
  std::uint32_t generation = 0;
  Bytes host_challenge;
  Bytes mn_auth;
};

struct Success {
  Bytes packet;             // EAP-Success for a DEA with Result-Code 2001
  crypto::SecretBytes msk;  // EAP-Master-Session-Key
  crypto::SecretBytes emsk;
  Bytes session_id;                 // EAP-Key-Name
  std::uint32_t generation = 0;     // of the vector that authenticated the peer
  bool home_authenticated = false;  // the Confirm carried AT_HOME_AUTH and the peer accepted it
  UpdateResult update = UpdateResult::NotAttempted;
  std::optional<std::uint32_t> update_generation;  // set when an update was attempted
};

struct Failure {
  Bytes packet;  // EAP-Failure for a DEA with Result-Code 4001
  FailureReason reason = FailureReason::PeerError;
  std::string detail;  // for the log; never key material
  UpdateResult update = UpdateResult::NotAttempted;
  std::optional<std::uint32_t> update_generation;
};

using Action = std::variant<SendRequest, NeedVector, NeedHomeAuth, Success, Failure>;

class Authenticator {
 public:
  enum class State : std::uint8_t {
    Idle,
    AwaitIdentity,
    AwaitVector,
    AwaitChallengeResponse,
    AwaitHomeAuth,
    AwaitConfirmAck,
    AwaitUpdateChallenge,
    AwaitUpdateConfirm,
    AwaitErrorAck,
    Done,
  };

  // visited_realm: this domain's realm as configured; it goes lower-cased into
  // AT_REALM and into every derivation.
  Authenticator(std::string_view visited_realm, crypto::RandomSource& random);

  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // The AAA client sent an empty EAP-Payload: ask for the identity (sec. 4).
  Action start();
  // One EAP packet from the peer. Never throws on hostile input.
  Action on_response(ByteView packet);
  // Answers to NeedVector. Throws std::invalid_argument if rand is not 16
  // bytes or tsk not 32 (the caller validates what the home sent).
  Action provide_vector(Vector vector);
  Action vector_unavailable(std::string_view reason);
  // Answer to NeedHomeAuth: nullopt when the HAR failed. A value that is not
  // 32 bytes counts as a failed HAR.
  Action provide_home_auth(std::optional<Bytes> home_auth);

  // A pushed (RAND_new, TSK_new) to install during this conversation (steps 7-11).
  // Returns false when it comes too late (Confirm-Ack already handled, or the
  // conversation is over); the caller keeps it for a later conversation.
  bool set_pending_update(Vector update);

  // Ends the conversation from outside (timeout, revocation): EAP-Failure
  // with the identifier of the last Request (RFC 3748 sec. 4.2).
  Action abort(std::string_view detail);

  State state() const { return state_; }
  bool done() const { return state_ == State::Done; }
  const std::string& nai() const { return nai_; }

 private:
  Action handle_identity(ByteView packet);
  Action handle_method_response(ByteView bytes);
  Action handle_peer_error(const Packet& packet, ByteView bytes);
  Action handle_challenge_response(const Packet& packet, ByteView bytes);
  Action handle_confirm_ack();
  Action handle_update_challenge(const Packet& packet);
  Action handle_update_confirm(const Packet& packet);

  Action send(Packet packet);
  Action send_confirm(std::optional<Bytes> home_auth);
  Action reject(ErrorCode code, FailureReason reason, std::string detail);
  Action fail(FailureReason reason, std::string detail);
  Action succeed();
  void expect(State state, const char* call) const;

  std::string realm_;
  crypto::RandomSource& random_;
  State state_ = State::Idle;
  std::uint8_t request_id_ = 0;  // identifier of the last Request sent
  std::string nai_;

  std::optional<Vector> vector_;
  bool refreshed_ = false;
  std::uint32_t min_generation_ = 0;
  Bytes nonce_s_;
  Bytes nonce_p_;
  std::optional<crypto::SessionKeys> keys_;
  bool home_authenticated_ = false;

  std::optional<Vector> pending_update_;
  bool update_started_ = false;
  Bytes nonce_u_;
  Bytes expected_res_u_;

  // What AwaitErrorAck will report once the peer has answered the Error.
  FailureReason pending_reason_ = FailureReason::PeerError;
  std::string pending_detail_;
};

}  // namespace roamkey::eaptsk
