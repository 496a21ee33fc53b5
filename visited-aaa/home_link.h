#pragma once
// The visited domain's view of the home domains: ask for a vector (DLR) and
// for home authentication data (HAR), protocol.md sec. 3. An interface so
// that EapTskServer is tested without a network (tests/unit/visited).

#include <functional>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "tsk_cache.h"

namespace roamkey::visited {

struct HomeAuthQuery {
  std::string nai;
  std::string home_realm;
  crypto::Bytes rand;
  std::uint32_t generation = 0;
  crypto::Bytes host_challenge;
  crypto::Bytes mn_auth;
};

// `failure` says why, fit for a log line (Result-Code and Error-Message).
using VectorCallback = std::function<void(std::optional<DelegatedVector> vector, std::string failure)>;
using HomeAuthCallback = std::function<void(std::optional<crypto::Bytes> home_auth, std::string failure)>;

class HomeLink {
 public:
  virtual ~HomeLink() = default;
  // Each callback runs exactly once, never on the calling thread before the
  // call returns (callers may hold a conversation lock while calling).
  virtual void request_vector(const std::string& nai, const std::string& home_realm, VectorCallback done) = 0;
  virtual void request_home_auth(const HomeAuthQuery& query, HomeAuthCallback done) = 0;
};

}  // namespace roamkey::visited
