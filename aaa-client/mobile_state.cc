#include "mobile_state.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace roamkey::client {

MobileState MobileState::load(const std::filesystem::path& path) {
  MobileState s;
  s.path_ = path;
  if (!std::filesystem::exists(path)) return s;
  std::ifstream in(path);
  // An unreadable state must not pass for "no generation accepted yet".
  if (!in) throw std::runtime_error(path.string() + ": cannot read the mobile state file");
  try {
    const auto j = nlohmann::json::parse(in);
    for (const auto& [nai, entry] : j.at("subscribers").items()) {
      const auto& g = entry.at("highest_generation");
      // get<std::uint32_t>() wraps -1 to 2^32-1 (every later vector refused as
      // stale) and 2^32 to 0 (stale vectors accepted): refuse both.
      if (!g.is_number_unsigned() || g.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
        throw std::runtime_error(path.string() + ": not a mobile state file: highest_generation of " + nai +
                                 " is not a key generation");
      s.generations_[nai] = g.get<std::uint32_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not a mobile state file: " + e.what());
  }
  return s;
}

std::uint32_t MobileState::highest_generation(const std::string& nai) const {
  const auto it = generations_.find(nai);
  return it == generations_.end() ? 0 : it->second;
}

void MobileState::accept(const std::string& nai, std::uint32_t generation) {
  auto& g = generations_[nai];
  if (generation > g) g = generation;
}

void MobileState::save() const {
  nlohmann::json j;
  j["subscribers"] = nlohmann::json::object();
  for (const auto& [nai, g] : generations_) j["subscribers"][nai] = {{"highest_generation", g}};
  const auto tmp = path_.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << j.dump(2) << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path_);
}

}  // namespace roamkey::client
