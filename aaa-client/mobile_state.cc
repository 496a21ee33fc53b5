#include "mobile_state.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace roamkey::client {

MobileState MobileState::load(const std::filesystem::path& path) {
  MobileState s;
  s.path_ = path;
  std::ifstream in(path);
  if (!in) return s;
  try {
    const auto j = nlohmann::json::parse(in);
    for (const auto& [nai, entry] : j.at("subscribers").items())
      s.generations_[nai] = entry.at("highest_generation").get<std::uint32_t>();
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
