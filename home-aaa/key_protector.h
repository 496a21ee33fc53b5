#pragma once
// How K is kept at rest in the subscriber store. The store writes whatever
// blob the protector makes and records the protector's scheme beside it, so
// a store can hold blobs of several schemes while the operator migrates.
//
// Scheme 0 (plain) is the only one today. The next scheme is AES-256-GCM
// under a master key with the canonical NAI as AAD (crypto/aead.h), so that
// a blob copied to another subscriber's row does not open.

#include <cstdint>
#include <optional>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace roamkey::home {

enum class KeyScheme : std::uint32_t {
  Plain = 0,
  Aes256GcmMasterKey = 1,  // reserved for encryption at rest
};

class KeyProtector {
 public:
  virtual ~KeyProtector() = default;
  // The scheme of the blobs protect() makes.
  virtual KeyScheme scheme() const = 0;
  // `binding` is the subscriber's canonical NAI. The blob may be K itself,
  // so it is returned as a secret.
  virtual crypto::SecretBytes protect(crypto::ByteView k, std::string_view binding) const = 0;
  // nullopt when the blob does not open (wrong key, tampered, wrong row) or
  // the scheme is not one this protector can read.
  virtual std::optional<crypto::SecretBytes> unprotect(KeyScheme scheme, crypto::ByteView blob,
                                                       std::string_view binding) const = 0;
};

// K stored as is. Relies on the file's permissions and the disk's
// encryption; good for labs and for deployments that encrypt the volume.
class PlainKeyProtector final : public KeyProtector {
 public:
  KeyScheme scheme() const override { return KeyScheme::Plain; }
  crypto::SecretBytes protect(crypto::ByteView k, std::string_view binding) const override;
  std::optional<crypto::SecretBytes> unprotect(KeyScheme scheme, crypto::ByteView blob,
                                               std::string_view binding) const override;
};

}  // namespace roamkey::home
