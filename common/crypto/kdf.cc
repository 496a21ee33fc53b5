#include "crypto/kdf.h"

#include <array>
#include <stdexcept>

#include "crypto/hmac_internal.h"

namespace roamkey::crypto {
namespace {

// RAND, NONCE_* and HOST_CHALLENGE are 16 bytes (protocol.md section 2).
constexpr std::size_t kChallengeSize = 16;

void require_challenge(ByteView value, const char* what) {
  if (value.size() != kChallengeSize) throw std::invalid_argument(std::string(what) + " must be 16 bytes");
}

Bytes public_kdf(ByteView key, std::string_view label, std::initializer_list<ByteView> params) {
  const SecretBytes out = kdf(key, label, params);
  return Bytes(out.data(), out.data() + out.size());
}

}  // namespace

std::string lower_realm(std::string_view realm) {
  std::string out(realm);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

SecretBytes kdf(ByteView key, std::string_view label, std::initializer_list<ByteView> params) {
  if (key.empty()) throw std::invalid_argument("KDF key is empty");
  std::size_t total = label.size() + 1;
  for (const ByteView p : params) {
    if (p.size() > 0xffff) throw std::invalid_argument("KDF parameter longer than 65535 bytes");
    total += p.size() + 2;
  }
  Bytes input;
  input.reserve(total);
  const ByteView label_bytes = as_bytes(label);
  input.insert(input.end(), label_bytes.begin(), label_bytes.end());
  input.push_back(0x00);
  for (const ByteView p : params) {
    input.insert(input.end(), p.begin(), p.end());
    input.push_back(static_cast<std::uint8_t>(p.size() >> 8));
    input.push_back(static_cast<std::uint8_t>(p.size() & 0xff));
  }
  SecretBytes out(detail::kSha256Size);
  detail::hmac_sha256_into(key, input, {out.data(), out.size()});
  return out;
}

SecretBytes derive_tsk(ByteView k, ByteView rand, std::string_view visited_realm, std::uint32_t generation) {
  require_challenge(rand, "RAND");
  const std::string realm = lower_realm(visited_realm);
  const std::array<std::uint8_t, 4> gen{
      static_cast<std::uint8_t>(generation >> 24), static_cast<std::uint8_t>(generation >> 16),
      static_cast<std::uint8_t>(generation >> 8), static_cast<std::uint8_t>(generation)};
  return kdf(k, "RoamKey TSK", {rand, as_bytes(realm), gen});
}

Bytes mn_auth(ByteView tsk, ByteView host_challenge, std::string_view nai) {
  require_challenge(host_challenge, "HOST_CHALLENGE");
  return public_kdf(tsk, "RoamKey MN-AUTH", {host_challenge, as_bytes(nai)});
}

Bytes home_auth(ByteView k, ByteView host_challenge, std::string_view visited_realm, ByteView mn_auth) {
  require_challenge(host_challenge, "HOST_CHALLENGE");
  const std::string realm = lower_realm(visited_realm);
  return public_kdf(k, "RoamKey HOME-AUTH", {host_challenge, as_bytes(realm), mn_auth});
}

Bytes auth_net(ByteView tsk_new, ByteView nonce_b, ByteView rand_new) {
  require_challenge(nonce_b, "NONCE_B");
  require_challenge(rand_new, "RAND");
  return public_kdf(tsk_new, "RoamKey AUTH-NET", {nonce_b, rand_new});
}

Bytes res_u(ByteView tsk_new, ByteView nonce_u, std::string_view nai) {
  require_challenge(nonce_u, "NONCE_U");
  return public_kdf(tsk_new, "RoamKey RES-U", {nonce_u, as_bytes(nai)});
}

}  // namespace roamkey::crypto
