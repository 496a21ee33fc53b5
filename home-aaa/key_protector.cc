#include "key_protector.h"

#include <stdexcept>

#include "crypto/aead.h"
#include "crypto/hmac.h"

namespace roamkey::home {

namespace {
// Versioned so that a later check scheme cannot be confused with this one.
constexpr std::string_view kKeyCheckLabel = "RoamKey store master key check v1";
}  // namespace

crypto::SecretBytes PlainKeyProtector::protect(crypto::ByteView k, std::string_view) const {
  return crypto::SecretBytes(k);
}

std::optional<crypto::SecretBytes> PlainKeyProtector::unprotect(KeyScheme scheme, crypto::ByteView blob,
                                                                std::string_view) const {
  if (scheme != KeyScheme::Plain) return std::nullopt;
  return crypto::SecretBytes(blob);
}

MasterKeyProtector::MasterKeyProtector(crypto::SecretBytes master_key, std::shared_ptr<crypto::RandomSource> random)
    : master_key_(std::move(master_key)), random_(std::move(random)) {
  if (master_key_.size() != kMasterKeyLength) throw std::invalid_argument("the master key must be 32 bytes");
  if (!random_) random_ = std::make_shared<crypto::SystemRandom>();
}

crypto::SecretBytes MasterKeyProtector::protect(crypto::ByteView k, std::string_view binding) const {
  const auto sealed = crypto::aead_seal(master_key_.view(), k, crypto::as_bytes(binding), *random_);
  return crypto::SecretBytes(crypto::ByteView(sealed));
}

std::optional<crypto::SecretBytes> MasterKeyProtector::unprotect(KeyScheme scheme, crypto::ByteView blob,
                                                                 std::string_view binding) const {
  switch (scheme) {
    case KeyScheme::Plain: return crypto::SecretBytes(blob);
    case KeyScheme::Aes256GcmMasterKey: return crypto::aead_open(master_key_.view(), blob, crypto::as_bytes(binding));
  }
  return std::nullopt;
}

crypto::Bytes MasterKeyProtector::key_check() const {
  return crypto::hmac_sha256(master_key_.view(), crypto::as_bytes(kKeyCheckLabel));
}

}  // namespace roamkey::home
