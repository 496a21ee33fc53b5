#pragma once
// The key-encryption keys agreed with home domains (protocol.md sec. 2):
// a Wrapped-TSK-Key is opened with the KEK its Key-Wrap-Key-Id names, among
// those configured for the realm that sent it. Several KEKs per realm may
// be valid at once, so a partner rolls over without a failed authentication.
//
// Thread contract: unwrap() from any thread; replace() (a configuration
// reload) swaps the whole set at once, so an unwrap sees the old set or the
// new one, never a mix.

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "visited_config.h"

namespace roamkey::visited {

class KekRing {
 public:
  KekRing() = default;
  explicit KekRing(const std::vector<HomeRealmConfig>& realms);

  struct Unwrapped {
    std::optional<crypto::SecretBytes> tsk;
    std::string failure;  // why not, fit for a log line
  };
  Unwrapped unwrap(std::string_view home_realm, std::string_view kek_id, crypto::ByteView wrapped) const;
  std::size_t size() const { return keks_.load()->size(); }

  void replace(const std::vector<HomeRealmConfig>& realms);

 private:
  using Map = std::map<std::pair<std::string, std::string>, crypto::SecretBytes, std::less<>>;  // (realm, id) -> KEK
  static std::shared_ptr<const Map> build(const std::vector<HomeRealmConfig>& realms);

  std::atomic<std::shared_ptr<const Map>> keks_{std::make_shared<const Map>()};
};

}  // namespace roamkey::visited
