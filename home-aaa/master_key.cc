#include "master_key.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "crypto/key_input.h"

namespace roamkey::home {

namespace {

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

std::optional<std::string> key_file_mode_problem(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error(path.string() + ": cannot read key file: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(path.string() + ": not a regular file");
  if ((st.st_mode & 077) == 0) return std::nullopt;
  return "mode " + octal_mode(st.st_mode) + ": accessible by group or others";
}

crypto::SecretBytes read_master_key_file(const std::filesystem::path& path) {
  if (auto problem = key_file_mode_problem(path))
    throw std::runtime_error(path.string() + ": master key file " + *problem +
                             "; refusing to use it. Restrict it to its owner: chmod 600 " + path.string());
  try {
    return crypto::read_key_file(path);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("master key: ") + e.what());
  }
}

std::shared_ptr<const KeyProtector> key_protector_for(const std::filesystem::path& path) {
  if (path.empty()) return std::make_shared<PlainKeyProtector>();
  return std::make_shared<MasterKeyProtector>(read_master_key_file(path));
}

}  // namespace roamkey::home
