#include "der_path.h"

#include <spdlog/spdlog.h>

#include "apps/diameter_eap.h"

namespace roamkey::visited {

using apps::DiameterEapApp;
using diameter::Outcome;
using diameter::ResultCode;

DerPath::DerPath(diameter::Stack& stack, EapTskServer& server) : server_(server) {
  stack.on_request(DiameterEapApp::get().der, [this](diameter::PendingRequest r) { on_der(std::move(r)); });
}

void DerPath::on_der(diameter::PendingRequest request) {
  const auto& app = DiameterEapApp::get();
  const auto& m = request.request();
  EapRequest req;
  req.session_id = m.session_id();
  req.client = m.origin_host();
  if (auto u = m.find(app.user_name)) req.user_name = std::string(u->str());
  // freeDiameter's rules check answers 5005 for a DER without EAP-Payload
  // before we see it (RFC 4072 sec. 3.1: { EAP-Payload } is required).
  auto payload = m.find(app.eap_payload);
  if (!payload || req.session_id.empty()) {
    request.answer(Outcome::base(ResultCode::MissingAvp, payload ? "missing Session-Id" : "missing EAP-Payload"),
                   [&](auto& a) { app.answer_header(a); });
    return;
  }
  const auto bytes = payload->bytes();
  req.eap_payload.assign(bytes.begin(), bytes.end());

  // std::function needs a copyable callable; the DER is owned here until answered.
  auto pending = std::make_shared<diameter::PendingRequest>(std::move(request));
  server_.handle(std::move(req), [pending](EapReply reply) {
    const auto& eap = DiameterEapApp::get();
    Outcome outcome;
    switch (reply.kind) {
      case EapReply::Kind::Continue: outcome = Outcome::base(ResultCode::MultiRoundAuth, {}); break;
      case EapReply::Kind::Accept: outcome = Outcome::ok(); break;
      case EapReply::Kind::Reject: outcome = Outcome::base(ResultCode::AuthenticationRejected, reply.reason); break;
      case EapReply::Kind::TooBusy: outcome = Outcome::base(ResultCode::TooBusy, reply.reason); break;
      case EapReply::Kind::Error: outcome = Outcome::base(ResultCode::UnableToComply, reply.reason); break;
    }
    try {
      pending->answer(outcome, [&](diameter::AvpSink& a) {
        eap.answer_header(a);
        if (!reply.user_name.empty()) a.add(eap.user_name, reply.user_name);
        if (!reply.eap_payload.empty()) a.add(eap.eap_payload, crypto::ByteView(reply.eap_payload));
        if (reply.kind == EapReply::Kind::Accept) {
          // RFC 4072 sec. 4.1.3/4.1.4 and protocol.md sec. 4: the MSK goes to
          // the AAA client (claims 7, 9).
          a.add(eap.eap_master_session_key, reply.msk.view());
          a.add(eap.eap_key_name, crypto::ByteView(reply.key_name));
          a.add(eap.session_timeout, reply.session_timeout);
        }
      });
    } catch (const std::exception& e) {
      spdlog::error("could not send the DEA: {}", e.what());
    }
  });
}

}  // namespace roamkey::visited
