#pragma once
// What a mobile node remembers between authentications: the highest key
// generation it accepted (protocol.md sec. 5 step 2), per NAI, in a small
// JSON file so that aaa-client behaves like a real mobile across runs.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace roamkey::client {

class MobileState {
 public:
  // A missing file is an empty state; a malformed one throws std::runtime_error.
  static MobileState load(const std::filesystem::path& path);
  std::uint32_t highest_generation(const std::string& nai) const;
  // Never lowers a generation (sec. 1: generations never decrease).
  void accept(const std::string& nai, std::uint32_t generation);
  // Written to a temporary file and renamed, so a crash leaves the old state.
  void save() const;

 private:
  std::filesystem::path path_;
  std::map<std::string, std::uint32_t> generations_;
};

}  // namespace roamkey::client
