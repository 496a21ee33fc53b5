#include "crypto/session_keys.h"

#include <stdexcept>

#include "crypto/hkdf.h"
#include "crypto/kdf.h"

namespace roamkey::crypto {
namespace {

constexpr std::size_t kNonceSize = 16;
constexpr std::size_t kMskSize = 64;
constexpr std::size_t kEmskSize = 64;
constexpr std::size_t kKautSize = 32;
constexpr std::uint8_t kSessionIdPrefix = 0xFE;  // the EAP Type (expanded), as RFC 5247 Appendix A does for each method

}  // namespace

SessionKeys derive_session_keys(ByteView tsk, ByteView nonce_p, ByteView nonce_s, std::string_view nai,
                                std::string_view visited_realm) {
  if (nonce_p.size() != kNonceSize) throw std::invalid_argument("NONCE_P must be 16 bytes");
  if (nonce_s.size() != kNonceSize) throw std::invalid_argument("NONCE_S must be 16 bytes");
  if (tsk.empty()) throw std::invalid_argument("TSK is empty");

  Bytes salt(nonce_p.begin(), nonce_p.end());
  salt.insert(salt.end(), nonce_s.begin(), nonce_s.end());

  static constexpr std::string_view kInfoLabel = "EAP-TSK v1";
  const std::string realm = lower_realm(visited_realm);
  Bytes info;
  info.reserve(kInfoLabel.size() + 1 + nai.size() + 1 + realm.size());
  auto append = [&info](std::string_view part) {
    const ByteView b = as_bytes(part);
    info.insert(info.end(), b.begin(), b.end());
  };
  append(kInfoLabel);
  info.push_back(0x00);
  append(nai);
  info.push_back(0x00);
  append(realm);

  const SecretBytes okm = hkdf_sha256(salt, tsk, info, kMskSize + kEmskSize + kKautSize);
  const ByteView all = okm.view();

  SessionKeys keys;
  keys.msk = SecretBytes(all.subspan(0, kMskSize));
  keys.emsk = SecretBytes(all.subspan(kMskSize, kEmskSize));
  keys.k_aut = SecretBytes(all.subspan(kMskSize + kEmskSize, kKautSize));
  keys.session_id.reserve(1 + 2 * kNonceSize);
  keys.session_id.push_back(kSessionIdPrefix);
  keys.session_id.insert(keys.session_id.end(), nonce_p.begin(), nonce_p.end());
  keys.session_id.insert(keys.session_id.end(), nonce_s.begin(), nonce_s.end());
  return keys;
}

}  // namespace roamkey::crypto
