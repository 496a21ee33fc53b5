#include "eaptsk/authenticator.h"

#include <limits>
#include <stdexcept>
#include <utility>

#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "eaptsk/eap.h"

namespace roamkey::eaptsk {
namespace {

constexpr std::size_t kTskSize = 32;
constexpr std::size_t kMaxNaiSize = 253;  // RFC 7542 section 2.2

void validate(const Vector& v, const char* what) {
  if (v.rand.size() != kNonceSize) throw std::invalid_argument(std::string(what) + ": RAND must be 16 bytes");
  if (v.tsk.size() != kTskSize) throw std::invalid_argument(std::string(what) + ": TSK must be 32 bytes");
}

std::string describe(ErrorCode code) {
  return std::string(error_code_name(code)) + " (" + std::to_string(static_cast<unsigned>(code)) + ")";
}

}  // namespace

std::string_view failure_reason_name(FailureReason reason) {
  switch (reason) {
    case FailureReason::InvalidIdentity: return "invalid identity";
    case FailureReason::MethodRejected: return "method rejected";
    case FailureReason::VectorUnavailable: return "vector unavailable";
    case FailureReason::StaleGeneration: return "stale generation";
    case FailureReason::MalformedMessage: return "malformed message";
    case FailureReason::UnexpectedMessage: return "unexpected message";
    case FailureReason::InvalidMac: return "invalid MAC";
    case FailureReason::NetworkAuthFailed: return "network authentication failed";
    case FailureReason::HomeAuthFailed: return "home authentication failed";
    case FailureReason::UpdateRejected: return "key update rejected";
    case FailureReason::PeerError: return "peer error";
  }
  return "unknown failure";
}

Authenticator::Authenticator(std::string_view visited_realm, crypto::RandomSource& random)
    : realm_(crypto::lower_realm(visited_realm)), random_(random) {
  if (realm_.empty() || realm_.size() > kMaxRealmSize) throw std::invalid_argument("visited realm length out of range");
}

Action Authenticator::start() {
  expect(State::Idle, "start");
  state_ = State::AwaitIdentity;
  request_id_ = 0;
  return SendRequest{build_identity_request(request_id_)};
}

Action Authenticator::on_response(ByteView packet) {
  switch (state_) {
    case State::Idle:
    case State::AwaitIdentity: return handle_identity(packet);
    case State::AwaitChallengeResponse:
    case State::AwaitConfirmAck:
    case State::AwaitUpdateChallenge:
    case State::AwaitUpdateConfirm:
    case State::AwaitErrorAck: return handle_method_response(packet);
    case State::AwaitVector:
    case State::AwaitHomeAuth: throw std::logic_error("EAP response delivered while an operation is outstanding");
    case State::Done: break;
  }
  throw std::logic_error("EAP response delivered after the conversation ended");
}

Action Authenticator::provide_vector(Vector vector) {
  expect(State::AwaitVector, "provide_vector");
  validate(vector, "provide_vector");
  if (refreshed_ && vector.generation < min_generation_) {
    return fail(FailureReason::StaleGeneration, "the fresh vector is no newer than the one the peer rejected");
  }
  vector_ = std::move(vector);
  nonce_s_ = crypto::random_bytes(random_, kNonceSize);
  Packet challenge;
  challenge.op = Op::Challenge;
  challenge.rand = vector_->rand;
  challenge.key_gen = vector_->generation;
  challenge.realm = realm_;
  challenge.nonce_s = nonce_s_;
  state_ = State::AwaitChallengeResponse;
  return send(std::move(challenge));
}

Action Authenticator::vector_unavailable(std::string_view reason) {
  expect(State::AwaitVector, "vector_unavailable");
  return fail(FailureReason::VectorUnavailable, "no vector for the peer: " + std::string(reason));
}

Action Authenticator::provide_home_auth(std::optional<Bytes> home_auth) {
  expect(State::AwaitHomeAuth, "provide_home_auth");
  // Step 4: a failed HAR still gets a Confirm, without AT_HOME_AUTH; the peer
  // that asked then answers HOME_AUTH_FAILED.
  if (home_auth && home_auth->size() != kAuthDataSize) home_auth.reset();
  return send_confirm(std::move(home_auth));
}

bool Authenticator::set_pending_update(Vector update) {
  validate(update, "set_pending_update");
  switch (state_) {
    case State::AwaitUpdateChallenge:
    case State::AwaitUpdateConfirm:
    case State::AwaitErrorAck:
    case State::Done: return false;
    default: pending_update_ = std::move(update); return true;
  }
}

Action Authenticator::handle_identity(ByteView packet) {
  const auto header = parse_eap_header(packet);
  if (!header || header->code != EapCode::Response) {
    return fail(FailureReason::InvalidIdentity, "first message is no EAP-Response");
  }
  if (state_ == State::AwaitIdentity && header->identifier != request_id_) {
    return fail(FailureReason::InvalidIdentity, "Identity response with a wrong identifier");
  }
  // Unsolicited (state Idle): the Response/Identity the AAA client sent first
  // sets the identifier sequence.
  request_id_ = header->identifier;
  auto identity = parse_identity_response(packet);
  if (!identity) return fail(FailureReason::InvalidIdentity, "first message is no EAP-Response/Identity");
  if (identity->empty() || identity->size() > kMaxNaiSize) {
    return fail(FailureReason::InvalidIdentity, "identity is empty or longer than 253 bytes");
  }
  nai_ = std::move(*identity);
  state_ = State::AwaitVector;
  return NeedVector{nai_, false, 0};
}

Action Authenticator::handle_method_response(ByteView bytes) {
  if (state_ == State::AwaitErrorAck) return fail(pending_reason_, pending_detail_);

  const auto header = parse_eap_header(bytes);
  if (!header || header->code != EapCode::Response) {
    return reject(ErrorCode::Malformed, FailureReason::MalformedMessage, "not an EAP-Response");
  }
  if (header->identifier != request_id_) {
    return reject(ErrorCode::Malformed, FailureReason::UnexpectedMessage, "response identifier does not match");
  }
  if (header->type == kEapTypeNak) return fail(FailureReason::MethodRejected, "peer answered with a Nak");
  if (header->type != kEapTypeExpanded) {
    return reject(ErrorCode::Unsupported, FailureReason::UnexpectedMessage, "response is not EAP-TSK");
  }
  const DecodeResult decoded = decode(bytes);
  if (!decoded) {
    return reject(error_code_for(decoded.error), FailureReason::MalformedMessage,
                  std::string(decode_error_name(decoded.error)));
  }
  const Packet& packet = *decoded.packet;
  if (packet.op == Op::Error) return handle_peer_error(packet, bytes);

  Op expected = Op::ChallengeResponse;
  switch (state_) {
    case State::AwaitConfirmAck: expected = Op::ConfirmAck; break;
    case State::AwaitUpdateChallenge: expected = Op::UpdateChallenge; break;
    case State::AwaitUpdateConfirm: expected = Op::UpdateConfirm; break;
    default: break;
  }
  if (packet.op != expected) {
    return reject(ErrorCode::Malformed, FailureReason::UnexpectedMessage,
                  "unexpected " + std::string(op_name(packet.op)));
  }
  if (state_ == State::AwaitChallengeResponse) return handle_challenge_response(packet, bytes);

  // Every message after the Challenge carries AT_MAC under this
  // conversation's K_AUT (section 5).
  if (!verify_mac(bytes, packet, keys_->k_aut)) {
    return reject(ErrorCode::InvalidMac, FailureReason::InvalidMac,
                  std::string(op_name(packet.op)) + " AT_MAC does not verify");
  }
  switch (state_) {
    case State::AwaitConfirmAck: return handle_confirm_ack();
    case State::AwaitUpdateChallenge: return handle_update_challenge(packet);
    default: return handle_update_confirm(packet);
  }
}

Action Authenticator::handle_peer_error(const Packet& packet, ByteView bytes) {
  const ErrorCode code = *packet.error_code;
  if (state_ == State::AwaitChallengeResponse && code == ErrorCode::StaleGeneration) {
    // Step 2: drop the vector, fetch a fresh one, once per conversation.
    if (refreshed_) return fail(FailureReason::StaleGeneration, "peer rejected the fresh generation too");
    refreshed_ = true;
    const std::uint32_t rejected = vector_->generation;
    min_generation_ = rejected == std::numeric_limits<std::uint32_t>::max() ? rejected : rejected + 1;
    vector_.reset();
    state_ = State::AwaitVector;
    return NeedVector{nai_, true, min_generation_};
  }
  // Once K_AUT exists an Error must carry a valid AT_MAC to be believed. The
  // conversation fails either way; only the reported reason differs.
  if (keys_ && !verify_mac(bytes, packet, keys_->k_aut)) {
    return fail(FailureReason::PeerError, "peer sent Error " + describe(code) + " without a valid AT_MAC");
  }
  FailureReason reason = FailureReason::PeerError;
  if (state_ == State::AwaitUpdateChallenge || state_ == State::AwaitUpdateConfirm) {
    reason = FailureReason::UpdateRejected;
  } else if (code == ErrorCode::HomeAuthFailed) {
    reason = FailureReason::HomeAuthFailed;
  } else if (code == ErrorCode::NetworkAuthFailed || code == ErrorCode::InvalidMac) {
    reason = FailureReason::NetworkAuthFailed;
  } else if (code == ErrorCode::StaleGeneration) {
    reason = FailureReason::StaleGeneration;
  }
  return fail(reason, "peer sent Error " + describe(code));
}

Action Authenticator::handle_challenge_response(const Packet& packet, ByteView bytes) {
  nonce_p_ = *packet.nonce_p;
  keys_ = crypto::derive_session_keys(vector_->tsk, nonce_p_, nonce_s_, nai_, realm_);
  // Step 4: a valid AT_MAC proves the peer holds the TSK (claim 5).
  if (!verify_mac(bytes, packet, keys_->k_aut)) {
    return reject(ErrorCode::InvalidMac, FailureReason::InvalidMac, "Challenge-Response AT_MAC does not verify");
  }
  if (packet.host_challenge) {
    state_ = State::AwaitHomeAuth;
    return NeedHomeAuth{nai_, vector_->rand, vector_->generation, *packet.host_challenge, *packet.mn_auth};
  }
  return send_confirm(std::nullopt);
}

Action Authenticator::handle_confirm_ack() {
  if (!pending_update_) return succeed();
  // Step 7.
  update_started_ = true;
  Packet request;
  request.op = Op::UpdateRequest;
  request.rand = pending_update_->rand;
  request.key_gen = pending_update_->generation;
  state_ = State::AwaitUpdateChallenge;
  return send(std::move(request));
}

Action Authenticator::handle_update_challenge(const Packet& packet) {
  // Step 9: AUTH_NET proves the network holds TSK_new (claim 21); NONCE_U is
  // the unique challenge RES_U must answer (claim 24).
  const Vector& update = *pending_update_;
  nonce_u_ = crypto::random_bytes(random_, kNonceSize);
  expected_res_u_ = crypto::res_u(update.tsk, nonce_u_, nai_);
  Packet proof;
  proof.op = Op::UpdateProof;
  proof.auth_net = crypto::auth_net(update.tsk, *packet.nonce_b, update.rand);
  proof.nonce_u = nonce_u_;
  state_ = State::AwaitUpdateConfirm;
  return send(std::move(proof));
}

Action Authenticator::handle_update_confirm(const Packet& packet) {
  // Step 11.
  if (!crypto::constant_time_equal(*packet.res_u, expected_res_u_)) {
    return fail(FailureReason::UpdateRejected, "RES_U does not verify");
  }
  return succeed();
}

Action Authenticator::send(Packet packet) {
  packet.code = EapCode::Request;
  packet.identifier = static_cast<std::uint8_t>(request_id_ + 1);
  request_id_ = packet.identifier;
  if (keys_) return SendRequest{encode(packet, keys_->k_aut)};
  return SendRequest{encode(packet)};
}

Action Authenticator::send_confirm(std::optional<Bytes> home_auth) {
  Packet confirm;
  confirm.op = Op::Confirm;
  home_authenticated_ = home_auth.has_value();
  confirm.home_auth = std::move(home_auth);
  state_ = State::AwaitConfirmAck;
  return send(std::move(confirm));
}

Action Authenticator::reject(ErrorCode code, FailureReason reason, std::string detail) {
  Packet error;
  error.op = Op::Error;
  error.error_code = code;
  pending_reason_ = reason;
  pending_detail_ = std::move(detail);
  Action action = send(std::move(error));
  state_ = State::AwaitErrorAck;
  return action;
}

Action Authenticator::fail(FailureReason reason, std::string detail) {
  state_ = State::Done;
  Failure failure;
  failure.packet = build_failure(request_id_);
  failure.reason = reason;
  failure.detail = std::move(detail);
  if (update_started_) {
    // Step 11: "On any failure S keeps the old TSK ... KUR (REJECTED_BY_MN)".
    failure.update = UpdateResult::RejectedByMn;
    failure.update_generation = pending_update_->generation;
  }
  return failure;
}

Action Authenticator::abort(std::string_view detail) {
  if (state_ == State::Done) throw std::logic_error("abort: the conversation is over");
  return fail(FailureReason::PeerError, std::string(detail));
}

Action Authenticator::succeed() {
  state_ = State::Done;
  Success success;
  success.packet = build_success(request_id_);
  success.msk = std::move(keys_->msk);
  success.emsk = std::move(keys_->emsk);
  success.session_id = keys_->session_id;
  success.generation = vector_->generation;
  success.home_authenticated = home_authenticated_;
  if (update_started_) {
    success.update = UpdateResult::Updated;
    success.update_generation = pending_update_->generation;
  }
  return success;
}

void Authenticator::expect(State state, const char* call) const {
  if (state_ != state) throw std::logic_error(std::string(call) + " called in the wrong conversation state");
}

}  // namespace roamkey::eaptsk
