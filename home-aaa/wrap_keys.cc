#include "wrap_keys.h"

#include <algorithm>
#include <stdexcept>

#include "crypto/key_input.h"
#include "master_key.h"
#include "nai.h"

namespace roamkey::home {

namespace {
constexpr std::size_t kKekLength = 32;  // protocol.md sec. 2
}  // namespace

void WrapKeys::set(std::string_view realm, WrapKey key) {
  if (key.kek.size() != kKekLength) throw std::invalid_argument("a KEK must be 32 bytes");
  if (key.id.empty()) throw std::invalid_argument("a KEK needs an id");
  keys_.insert_or_assign(lower_ascii(realm), std::move(key));
}

const WrapKey* WrapKeys::for_realm(std::string_view realm) const {
  const auto it = keys_.find(lower_ascii(realm));
  return it == keys_.end() ? nullptr : &it->second;
}

WrapKeys load_wrap_keys(const RoamingPartners& partners, std::vector<std::string>& warnings) {
  WrapKeys keys;
  for (const auto& p : partners.all()) {
    if (p.wrap_with.empty()) continue;
    const auto kek =
        std::find_if(p.keks.begin(), p.keks.end(), [&](const KekConfig& k) { return k.id == p.wrap_with; });
    if (kek == p.keks.end()) throw std::runtime_error("roaming partner " + p.realm + ": wrap_with names no KEK");
    const auto where = "roaming partner " + p.realm + ", KEK " + kek->id + ": ";
    try {
      if (auto problem = key_file_mode_problem(kek->key_file))
        warnings.push_back(where + kek->key_file.string() + " " + *problem + " (chmod 600 it)");
      keys.set(p.realm, WrapKey{kek->id, crypto::read_key_file(kek->key_file)});
    } catch (const std::exception& e) {
      throw std::runtime_error(where + e.what());
    }
  }
  return keys;
}

}  // namespace roamkey::home
