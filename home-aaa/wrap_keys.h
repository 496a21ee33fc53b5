#pragma once
// The KEK each roaming partner's TSKs are wrapped under (its `wrap_with`),
// loaded once at start-up. protocol.md sec. 2: Wrapped-TSK-Key is the RFC
// 3394 wrap of the TSK under a 32-byte KEK agreed with that visited realm,
// and Key-Wrap-Key-Id names the KEK so that it can be rolled over.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret.h"
#include "roaming_partners.h"

namespace roamkey::home {

struct WrapKey {
  std::string id;  // Key-Wrap-Key-Id
  crypto::SecretBytes kek;
};

class WrapKeys {
 public:
  // `realm` any case; `key.kek` must be 32 bytes (std::invalid_argument).
  void set(std::string_view realm, WrapKey key);
  // The KEK to wrap TSKs for `realm` (any case) under; nullptr: send TSK-Key.
  const WrapKey* for_realm(std::string_view realm) const;
  bool empty() const { return keys_.empty(); }

 private:
  std::map<std::string, WrapKey, std::less<>> keys_;  // lower-case realm
};

// Reads the `wrap_with` KEK file of every partner that has one. Throws
// std::runtime_error naming the partner and the file when one cannot be
// read or is no 32-byte key. `warnings` receives one line per KEK file that
// group or others may read (the daemon logs them).
WrapKeys load_wrap_keys(const RoamingPartners& partners, std::vector<std::string>& warnings);

}  // namespace roamkey::home
