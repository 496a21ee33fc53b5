#include "home_path.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "apps/delegation.h"
#include "log/logged_nai.h"
#include "vector_import.h"

namespace roamkey::visited {

using apps::DelegationApp;

DiameterHomeLink::DiameterHomeLink(diameter::Stack& stack, const KekRing& keks, std::chrono::milliseconds timeout)
    : stack_(stack), keks_(keks), timeout_(timeout) {}

void DiameterHomeLink::request_vector(const std::string& nai, const std::string& home_realm, VectorCallback done) {
  const auto& app = DelegationApp::get();
  auto dlr = app.request(app.dlr, home_realm);
  dlr.avps().add(app.user_name, nai);
  spdlog::debug("DLR nai={} to realm {}", log::nai(nai), home_realm);
  stack_.send(std::move(dlr), timeout_, [this, done = std::move(done), home_realm](diameter::Answer a) {
    if (!a.is_success()) {
      done(std::nullopt, "DLA " + a.describe());
      return;
    }
    diameter::AvpReader avps(a.message);
    auto wire = DelegationApp::get().read_vector(avps);
    if (!wire) {
      done(std::nullopt, "DLA unusable: " + avps.failure().reason);
      return;
    }
    std::string failure;
    auto vector = to_cache_vector(std::move(*wire), home_realm, keks_, failure);
    if (!vector) {
      done(std::nullopt, "DLA unusable: " + failure);
      return;
    }
    done(std::move(vector), {});
  });
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
