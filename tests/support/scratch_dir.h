#pragma once
// A fresh directory under the system temporary directory for one test,
// removed with everything in it when the test ends. Shared by every test
// binary (tests/support).

#include <filesystem>
#include <string>

namespace roamkey::test {

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes `content` to `name` (creating parent folders) and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// The whole content of a file ("" if it cannot be read).
std::string read_file(const std::filesystem::path& p);

}  // namespace roamkey::test
