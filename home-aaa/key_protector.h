#pragma once
// How K is kept at rest in the subscriber store. The store writes whatever
// blob the protector makes and records the protector's scheme beside it, so
// a store can hold blobs of several schemes while the operator migrates
// (`home-aaa store rekey`).
//
// Scheme 0 (plain) keeps K as is. Scheme 1 seals K with AES-256-GCM under a
// master key (crypto/aead.h) with the subscriber's canonical NAI as
// associated data, so that a blob copied to another subscriber's row does
// not open.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace roamkey::home {

enum class KeyScheme : std::uint32_t {
  Plain = 0,
  Aes256GcmMasterKey = 1,
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
  // Names the key that protects new blobs without revealing it, so that a
  // store can tell at open time whether it is given the right master key.
  // Empty for schemes without a key.
  virtual crypto::Bytes key_check() const { return {}; }
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

// Scheme 1: blob = AES-256-GCM(master key, K, aad = canonical NAI), laid out
// nonce || ciphertext || tag (crypto/aead.h). Also reads plain blobs, which
// a store keeps until `home-aaa store rekey` seals them; the store decides
// whether plain blobs are still acceptable (sqlite_subscriber_store.h).
class MasterKeyProtector final : public KeyProtector {
 public:
  // `master_key` must be 32 bytes (std::invalid_argument otherwise).
  // `random` draws the GCM nonces; SystemRandom when null.
  explicit MasterKeyProtector(crypto::SecretBytes master_key, std::shared_ptr<crypto::RandomSource> random = nullptr);

  KeyScheme scheme() const override { return KeyScheme::Aes256GcmMasterKey; }
  crypto::SecretBytes protect(crypto::ByteView k, std::string_view binding) const override;
  std::optional<crypto::SecretBytes> unprotect(KeyScheme scheme, crypto::ByteView blob,
                                               std::string_view binding) const override;
  // HMAC-SHA-256(master key, "RoamKey store master key check v1"): a
  // one-way function of the key, safe to keep beside the blobs.
  crypto::Bytes key_check() const override;

 private:
  crypto::SecretBytes master_key_;
  std::shared_ptr<crypto::RandomSource> random_;
};

inline constexpr std::size_t kMasterKeyLength = 32;  // AES-256

}  // namespace roamkey::home
