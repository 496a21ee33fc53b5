#include "eaptsk/peer.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "eaptsk/eap.h"

namespace roamkey::eaptsk {

Peer::Peer(std::string nai, crypto::SecretBytes k, std::uint32_t highest_generation, bool want_home_auth,
           crypto::RandomSource& random, PeerFaults faults)
    : nai_(std::move(nai)),
      k_(std::move(k)),
      highest_generation_(highest_generation),
      want_home_auth_(want_home_auth),
      random_(random),
      faults_(faults) {
  if (nai_.empty()) throw std::invalid_argument("peer NAI is empty");
  if (k_.empty()) throw std::invalid_argument("peer key K is empty");
}

Bytes Peer::identity_response(std::uint8_t identifier) {
  if (state_ == State::Start) state_ = State::AwaitChallenge;
  identifier_ = identifier;
  return build_identity_response(identifier, nai_);
}

PeerStatus Peer::status() const {
  if (state_ == State::Succeeded) return PeerStatus::Succeeded;
  if (state_ == State::Failed) return PeerStatus::Failed;
  return PeerStatus::InProgress;
}

PeerStep Peer::handle(ByteView request) {
  if (state_ == State::Succeeded || state_ == State::Failed) return {status(), std::nullopt};
  if (last_response_ && std::equal(request.begin(), request.end(), last_request_.begin(), last_request_.end())) {
    return {status(), last_response_};  // retransmitted Request
  }
  PeerStep step = dispatch(request);
  if (step.response) {
    last_request_.assign(request.begin(), request.end());
    last_response_ = step.response;
  }
  return step;
}

PeerStep Peer::dispatch(ByteView request) {
  const auto header = parse_eap_header(request);
  if (!header) return {status(), std::nullopt};
  switch (header->code) {
    case EapCode::Success:
      // RFC 3748 section 4.2: accept Success only once the method has
      // authenticated the network (the Confirm MAC, step 5).
      return finish(state_ == State::AwaitUpdateOrSuccess || state_ == State::AwaitSuccess ? State::Succeeded
                                                                                           : State::Failed);
    case EapCode::Failure: return finish(State::Failed);
    case EapCode::Response: return {status(), std::nullopt};
    case EapCode::Request: break;
  }
  identifier_ = header->identifier;
  if (header->type == kEapTypeIdentity) {
    if (state_ != State::Start && state_ != State::AwaitChallenge) return {status(), std::nullopt};
    state_ = State::AwaitChallenge;
    return {status(), build_identity_response(identifier_, nai_)};
  }
  if (header->type != kEapTypeExpanded) return {status(), build_nak_response(identifier_)};

  const DecodeResult decoded = decode(request);
  if (!decoded) return send_error(error_code_for(decoded.error));
  return handle_method_request(*decoded.packet, request);
}

PeerStep Peer::handle_method_request(const Packet& packet, ByteView bytes) {
  if (packet.op == Op::Error) {
    last_error_received_ = packet.error_code;
    return send_error(*packet.error_code);
  }
  if (state_ == State::Failing) return send_error(*last_error_sent_);
  switch (packet.op) {
    case Op::Challenge:
      if (state_ == State::Start || state_ == State::AwaitChallenge) return on_challenge(packet);
      break;
    case Op::Confirm:
      if (state_ == State::AwaitConfirm) return on_confirm(packet, bytes);
      break;
    case Op::UpdateRequest:
      if (state_ == State::AwaitUpdateOrSuccess) return on_update_request(packet, bytes);
      break;
    case Op::UpdateProof:
      if (state_ == State::AwaitUpdateProof) return on_update_proof(packet, bytes);
      break;
    default: break;
  }
  return send_error(ErrorCode::Malformed);
}

PeerStep Peer::on_challenge(const Packet& packet) {
  realm_ = crypto::lower_realm(*packet.realm);
  // Step 2: never go back to an older key generation.
  if (*packet.key_gen < highest_generation_) {
    last_error_sent_ = ErrorCode::StaleGeneration;
    state_ = State::AwaitChallenge;
    Packet error;
    error.op = Op::Error;
    error.error_code = ErrorCode::StaleGeneration;
    return respond(std::move(error));  // no K_AUT yet, so no AT_MAC
  }
  generation_ = *packet.key_gen;
  const crypto::SecretBytes tsk = crypto::derive_tsk(k_, *packet.rand, realm_, generation_);

  // Step 3.
  Packet response;
  response.op = Op::ChallengeResponse;
  const Bytes nonce_p = crypto::random_bytes(random_, kNonceSize);
  response.nonce_p = nonce_p;
  if (want_home_auth_) {
    host_challenge_ = crypto::random_bytes(random_, kNonceSize);
    mn_auth_ = crypto::mn_auth(tsk, host_challenge_, nai_);
    response.host_challenge = host_challenge_;
    response.mn_auth = mn_auth_;
  }
  crypto::SessionKeys keys = crypto::derive_session_keys(tsk, nonce_p, *packet.nonce_s, nai_, realm_);
  k_aut_ = std::move(keys.k_aut);
  msk_ = std::move(keys.msk);
  emsk_ = std::move(keys.emsk);
  session_id_ = std::move(keys.session_id);
  state_ = State::AwaitConfirm;
  return respond(std::move(response));
}

PeerStep Peer::on_confirm(const Packet& packet, ByteView bytes) {
  // Step 5: the MAC authenticates the visited network (claim 6) ...
  if (!verify_mac(bytes, packet, *k_aut_)) return send_error(ErrorCode::NetworkAuthFailed);
  // ... and AT_HOME_AUTH the home domain, when asked (claim 26).
  if (want_home_auth_) {
    const Bytes expected = crypto::home_auth(k_, host_challenge_, realm_, mn_auth_);
    if (!packet.home_auth || !crypto::constant_time_equal(*packet.home_auth, expected)) {
      return send_error(ErrorCode::HomeAuthFailed);
    }
    home_authenticated_ = true;
  }
  highest_generation_ = std::max(highest_generation_, generation_);
  state_ = State::AwaitUpdateOrSuccess;
  Packet ack;
  ack.op = Op::ConfirmAck;
  return respond(std::move(ack));
}

PeerStep Peer::on_update_request(const Packet& packet, ByteView bytes) {
  if (!verify_mac(bytes, packet, *k_aut_)) return send_error(ErrorCode::InvalidMac);
  if (faults_.silent_on_update) return {status(), std::nullopt};
  // A new key must be newer than any accepted so far (section 1: generations never decrease).
  if (*packet.key_gen <= highest_generation_) return send_error(ErrorCode::StaleGeneration);
  // Step 8.
  update_rand_ = *packet.rand;
  update_generation_ = *packet.key_gen;
  update_tsk_ = crypto::derive_tsk(k_, update_rand_, realm_, update_generation_);
  nonce_b_ = crypto::random_bytes(random_, kNonceSize);
  Packet challenge;
  challenge.op = Op::UpdateChallenge;
  challenge.nonce_b = nonce_b_;
  state_ = State::AwaitUpdateProof;
  return respond(std::move(challenge));
}

PeerStep Peer::on_update_proof(const Packet& packet, ByteView bytes) {
  if (!verify_mac(bytes, packet, *k_aut_)) return send_error(ErrorCode::InvalidMac);
  // Step 10: only a network that holds TSK_new can compute AUTH_NET (claim 21).
  const Bytes expected = crypto::auth_net(update_tsk_, nonce_b_, update_rand_);
  if (faults_.reject_update || !crypto::constant_time_equal(*packet.auth_net, expected)) {
    return send_error(ErrorCode::UpdateAuthFailed);  // the old key stays
  }
  highest_generation_ = update_generation_;
  updated_ = true;
  Packet confirm;
  confirm.op = Op::UpdateConfirm;
  confirm.res_u = crypto::res_u(update_tsk_, *packet.nonce_u, nai_);
  state_ = State::AwaitSuccess;
  return respond(std::move(confirm));
}

PeerStep Peer::respond(Packet packet) {
  packet.code = EapCode::Response;
  packet.identifier = identifier_;
  // AT_MAC on everything once K_AUT exists (section 5).
  Bytes out = k_aut_ ? encode(packet, *k_aut_) : encode(packet);
  if (k_aut_ && faults_.corrupt_mac) out.back() ^= 0x01;  // AT_MAC is the last attribute
  return {status(), std::move(out)};
}

PeerStep Peer::send_error(ErrorCode code) {
  last_error_sent_ = code;
  state_ = State::Failing;
  Packet error;
  error.op = Op::Error;
  error.error_code = code;
  return respond(std::move(error));
}

PeerStep Peer::finish(State state) {
  state_ = state;
  return {status(), std::nullopt};
}

}  // namespace roamkey::eaptsk
