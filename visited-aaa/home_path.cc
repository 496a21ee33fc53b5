#include "home_path.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "apps/delegation.h"

namespace roamkey::visited {

using apps::DelegationApp;

DiameterHomeLink::DiameterHomeLink(diameter::Stack& stack, std::chrono::milliseconds timeout)
    : stack_(stack), timeout_(timeout) {}

void DiameterHomeLink::request_vector(const std::string& nai, const std::string& home_realm, VectorCallback done) {
  const auto& app = DelegationApp::get();
  auto dlr = app.request(app.dlr, home_realm);
  dlr.avps().add(app.user_name, nai);
  spdlog::debug("DLR nai={} to realm {}", nai, home_realm);
  stack_.send(std::move(dlr), timeout_, [done = std::move(done), home_realm](diameter::Answer a) {
    if (!a.is_success()) {
      done(std::nullopt, "DLA " + a.describe());
      return;
    }
    diameter::AvpReader avps(a.message);
    auto wire = app_vector(avps);
    if (!wire) {
      done(std::nullopt, "DLA unusable: " + avps.failure().reason);
      return;
    }
    if (wire->wrapped_tsk) {
      // End-to-end key wrap needs a KEK agreed with the home (sec. 2).
      done(std::nullopt, "DLA carries a Wrapped-TSK-Key (KEK id " + wire->key_wrap_key_id +
                             ") but no KEK is configured for realm " + home_realm);
      return;
    }
    DelegatedVector v;
    std::copy_n(wire->rand.begin(), std::min(wire->rand.size(), v.rand.size()), v.rand.begin());
    v.generation = wire->generation;
    v.tsk = std::move(wire->tsk);
    v.lifetime = std::chrono::seconds(wire->lifetime);
    v.max_uses = wire->max_uses;
    v.home_realm = home_realm;
    done(std::move(v), {});
  });
}

std::optional<apps::TskVector> DiameterHomeLink::app_vector(diameter::AvpReader& avps) {
  return DelegationApp::get().read_vector(avps);
}

void DiameterHomeLink::request_home_auth(const HomeAuthQuery& q, HomeAuthCallback done) {
  const auto& app = DelegationApp::get();
  auto har = app.request(app.har, q.home_realm);
  har.avps()
      .add(app.user_name, q.nai)
      .add(app.tsk_rand, crypto::ByteView(q.rand))
      .add(app.key_generation, q.generation)
      .add(app.host_challenge, crypto::ByteView(q.host_challenge))
      .add(app.mn_auth_data, crypto::ByteView(q.mn_auth));
  stack_.send(std::move(har), timeout_, [done = std::move(done)](diameter::Answer a) {
    if (!a.is_success()) {
      done(std::nullopt, "HAA " + a.describe());
      return;
    }
    diameter::AvpReader avps(a.message);
    auto home_auth = avps.octets(DelegationApp::get().home_auth_data, apps::kAuthDataLength);
    if (!avps.ok()) {
      done(std::nullopt, "HAA unusable: " + avps.failure().reason);
      return;
    }
    done(std::move(home_auth), {});
  });
}

}  // namespace roamkey::visited
