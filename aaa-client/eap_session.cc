#include "eap_session.h"

#include <spdlog/spdlog.h>

#include "apps/diameter_eap.h"
#include "crypto/hmac.h"
#include "eaptsk/eap.h"
#include "eaptsk/packet.h"

namespace roamkey::client {

using apps::DiameterEapApp;

void EapSession::start(diameter::Stack& stack, AuthOptions options, crypto::RandomSource& random, Done done) {
  std::shared_ptr<EapSession> s(new EapSession(stack, std::move(options), random, std::move(done)));
  if (s->options_.tamper == Tamper::NoEapPayload) {
    s->send({}, false);
  } else if (s->options_.identity_request_first) {
    s->send({});
  } else {
    // An 802.1X authenticator already has the identity from the supplicant
    // (RFC 3748 sec. 5.1), so the first DER carries the Response/Identity.
    s->send(s->peer_.identity_response(0));
  }
}

EapSession::EapSession(diameter::Stack& stack, AuthOptions options, crypto::RandomSource& random, Done done)
    : stack_(stack),
      options_(std::move(options)),
      peer_(options_.nai, options_.k, options_.highest_generation, options_.home_auth, random, options_.faults),
      done_(std::move(done)) {}

void EapSession::send(const crypto::Bytes& eap, bool with_payload) {
  const auto& app = DiameterEapApp::get();
  auto der = app.request(session_id_, options_.destination_realm, options_.nai, eap, with_payload);
  if (session_id_.empty()) session_id_ = der.session_id();
  ++outcome_.round_trips;
  stack_.send(std::move(der), options_.round_timeout,
              [self = shared_from_this()](diameter::Answer a) { self->on_answer(std::move(a)); });
}

void EapSession::on_answer(diameter::Answer answer) {
  AuthOutcome& o = outcome_;
  if (answer.status != diameter::AnswerStatus::Answered) {
    o.unreachable = true;
    o.reason = answer.describe();
    finish(std::move(o));
    return;
  }
  const auto& app = DiameterEapApp::get();
  o.result_code = answer.result.code;
  crypto::Bytes payload;
  if (auto p = answer.message.find(app.eap_payload)) payload.assign(p->bytes().begin(), p->bytes().end());

  if (answer.result.code == 1001 && !answer.result.experimental) {
    auto step = peer_.handle(tamper_request(payload));
    if (step.status == eaptsk::PeerStatus::Failed) {
      o.reason = "mobile gave up";
      finish(std::move(o));
      return;
    }
    if (!step.response) {
      o.reason = "mobile did not answer the request";
      finish(std::move(o));
      return;
    }
    send(tamper_response(std::move(*step.response)));
    return;
  }

  if (!payload.empty()) peer_.handle(payload);
  o.generation = peer_.generation();
  o.highest_generation = peer_.highest_generation();
  o.home_authenticated = peer_.home_authenticated();
  o.updated = peer_.updated();
  if (answer.result.is_success()) {
    auto msk = answer.message.find(app.eap_master_session_key);
    auto key_name = answer.message.find(app.eap_key_name);
    if (key_name) o.key_name.assign(key_name->bytes().begin(), key_name->bytes().end());
    // claims 7-9: the MSK the AAA client received must be the one the MN derived.
    o.msk_match = msk && !peer_.msk().empty() && crypto::constant_time_equal(msk->bytes(), peer_.msk().view()) &&
                  o.key_name == peer_.session_id();
    o.success = peer_.status() == eaptsk::PeerStatus::Succeeded && o.msk_match;
    if (!o.success)
      o.reason = peer_.status() != eaptsk::PeerStatus::Succeeded ? "server accepted but the mobile did not"
                                                                 : "MSK or EAP-Key-Name differ from the mobile's";
  } else {
    o.reason = std::to_string(answer.result.code) + " " +
               std::string(diameter::result_code_name(answer.result.code, answer.result.experimental));
    if (!answer.result.error_message.empty()) o.reason += ": " + answer.result.error_message;
    if (auto e = peer_.last_error_sent())
      o.reason += " (mobile sent error " + std::to_string(static_cast<int>(*e)) + ")";
  }
  finish(std::move(o));
}

crypto::Bytes EapSession::tamper_request(crypto::ByteView request) {
  crypto::Bytes out(request.begin(), request.end());
  if (options_.tamper != Tamper::RogueHomeAuth || !peer_.k_aut()) return out;
  auto decoded = eaptsk::decode(request);
  if (!decoded.packet || !decoded.packet->home_auth) return out;
  // A visited network knows K_AUT, so it can MAC whatever AT_HOME_AUTH it
  // likes; only K (at the home) makes a right one (claim 26).
  auto forged = *decoded.packet;
  (*forged.home_auth)[0] ^= 0x01;
  forged.mac.reset();
  forged.mac_offset.reset();
  return eaptsk::encode(forged, peer_.k_aut()->view());
}

crypto::Bytes EapSession::tamper_response(crypto::Bytes response) {
  if (options_.tamper == Tamper::Malformed && response.size() > 16) {
    auto decoded = eaptsk::decode(response);
    if (decoded.packet && decoded.packet->op == eaptsk::Op::ChallengeResponse) {
      // Claim one attribute longer than the packet holds.
      response[14] = 0xFF;
      response[15] = 0xFF;
    }
  }
  return response;
}

void EapSession::finish(AuthOutcome outcome) {
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(outcome));
}

}  // namespace roamkey::client
