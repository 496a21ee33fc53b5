#include "key_protector.h"

namespace roamkey::home {

crypto::SecretBytes PlainKeyProtector::protect(crypto::ByteView k, std::string_view) const {
  return crypto::SecretBytes(k);
}

std::optional<crypto::SecretBytes> PlainKeyProtector::unprotect(KeyScheme scheme, crypto::ByteView blob,
                                                                std::string_view) const {
  if (scheme != KeyScheme::Plain) return std::nullopt;
  return crypto::SecretBytes(blob);
}

}  // namespace roamkey::home
